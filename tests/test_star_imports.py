"""`from m import *` binds every public name of project module `m` (its constant
`__all__`, else its names not starting with `_`), also through a cycle of star imports."""

from __future__ import annotations

from pathlib import Path

from scanner.api import ScanOptions, run_scan

CYCLE = {
    "a.py": (
        "import logging\n"
        "from b import *\n"
        "\n"
        "LOG = logging.getLogger('app')\n"
        "\n"
        "\n"
        "def main():\n"
        "    email = fetch()\n"
        "    print(email)\n"
        "    send(email)\n"
    ),
    "b.py": "from c import *\n",
    "c.py": (
        "from a import *\n"
        "from sp_api.api import Orders\n"
        "\n"
        "\n"
        "def fetch():\n"
        "    return Orders().get_order('1').payload['BuyerInfo']['BuyerEmail']\n"
        "\n"
        "\n"
        "def send(value):\n"
        "    LOG.info(value)\n"
    ),
}


def _findings(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int, str, int, str]]:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path))
    assert result.skipped == []
    return sorted((f.sink.path, f.sink.line, f.source.path, f.source.line, f.rule_id) for f in result.findings)


def test_a_flow_through_a_cycle_of_star_imports_is_found(tmp_path: Path) -> None:
    assert _findings(tmp_path, CYCLE) == [
        ("a.py", 9, "c.py", 6, "SS108"),
        ("c.py", 10, "c.py", 6, "SS108"),
    ]


def test_a_constant_all_limits_what_a_star_import_binds(tmp_path: Path) -> None:
    files = dict(CYCLE)
    files["b.py"] = "from c import *\n__all__ = ['send']\n"
    # `fetch` is not exported by b, so a's `fetch()` is unknown code: only the sink in c
    # is reached (when c's own functions run with the PII), never a's print.
    assert _findings(tmp_path, files) == []
    files["b.py"] = "from c import *\n__all__ = ('fetch', 'send')\n"
    assert _findings(tmp_path, files) == [
        ("a.py", 9, "c.py", 6, "SS108"),
        ("c.py", 10, "c.py", 6, "SS108"),
    ]


def test_underscore_names_are_not_star_imported(tmp_path: Path) -> None:
    files = {
        "a.py": "from c import *\n\n\ndef main():\n    print(_fetch())\n",
        "c.py": ("from sp_api.api import Orders\n\n\ndef _fetch():\n"
                 "    return Orders().get_order('1').payload['BuyerInfo']['BuyerEmail']\n"),
    }
    assert _findings(tmp_path, files) == []
