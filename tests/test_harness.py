"""The annotation parser of the fixture harness."""

from __future__ import annotations

import pytest
from harness import annotations_in


def test_expect_and_ok_comments_are_collected() -> None:
    text = (
        "send(x)  # expect: SS101\n"
        "mail(y)  # expect: SS103, SS104\n"
        "track(order_id)  # ok: an order id is not PII\n"
        "plain()\n"
    )
    expected, quiet = annotations_in(text, "a.py")
    assert expected == {("a.py", 1, "SS101"), ("a.py", 2, "SS103"), ("a.py", 2, "SS104")}
    assert quiet == {("a.py", 3)}


@pytest.mark.parametrize("text", [
    "x = '# expect: SS101'\n",
    'y = """\n# expect: SS102\n"""\n',
    "z = f'{a} # ok: not a comment'\n",
])
def test_text_inside_strings_is_not_an_annotation(text: str) -> None:
    assert annotations_in(text, "a.py") == (set(), set())
