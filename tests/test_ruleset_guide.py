"""The worked example of rulesets/README.md works as the guide says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness import annotations_in

from scanner.api import ScanOptions, run_scan
from scanner.rules.loader import load_rulesets
from scanner.rules.urls import classify_host

GUIDE = Path(__file__).resolve().parents[1] / "rulesets" / "README.md"


def _example(tmp_path: Path) -> Path:
    text = GUIDE.read_text(encoding="utf-8")
    yaml_text = re.search(r"Save as `acme.yaml`:\n\n```yaml\n(.*?)```", text, re.DOTALL).group(1)  # type: ignore[union-attr]
    rules = tmp_path / "acme.yaml"
    rules.write_text(yaml_text, encoding="utf-8")
    return rules


def test_worked_example(tmp_path: Path) -> None:
    rules = _example(tmp_path)
    app = tmp_path / "app"
    app.mkdir()
    (app / "job.py").write_text(
        "import acme_erp\n"
        "import requests\n"
        "client = acme_erp.Client()\n"
        'client.push_to_partner([{"email": b["email"]} for b in client.buyers()])\n'
        'client.push_to_partner([b["erp_id"] for b in client.buyers()])\n'
        "client.push_to_partner([client.buyer_count(client.buyers())])\n"
        'requests.post("https://api.acme-parcel.example/labels", json=client.buyers())\n',
        encoding="utf-8",
    )
    result = run_scan(ScanOptions(paths=[app], root=app, rulesets=[rules]))
    assert [(f.sink.line, f.rule_id) for f in result.findings] == [(4, "SS106")]


def test_worked_example_host_class(tmp_path: Path) -> None:
    ruleset = load_rulesets([_example(tmp_path)])
    assert classify_host(ruleset, "api.acme-parcel.example") == "carrier"


def _saved(tmp_path: Path, name: str) -> Path:
    """The YAML block the guide says to save as `name`, written to tmp_path."""
    text = GUIDE.read_text(encoding="utf-8")
    found = re.search(rf"Save as\s+`{re.escape(name)}`:\n\n```yaml\n(.*?)```", text, re.DOTALL)
    assert found is not None, name
    path = tmp_path / name
    path.write_text(found.group(1), encoding="utf-8")
    return path


def _scan(tmp_path: Path, name: str, files: dict[str, str]) -> set[tuple[str, int, str]]:
    rules = _saved(tmp_path, name)
    app = tmp_path / "app"
    app.mkdir()
    for rel, code in files.items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text(code, encoding="utf-8")
    result = run_scan(ScanOptions(paths=[app], root=app, rulesets=[rules]))
    return {(f.sink.path, f.sink.line, f.rule_id) for f in result.findings}


ORDER = (
    "from sp_api.api import Orders\n"
    'order = Orders().get_order("111-2223334-5556667").payload\n'
)


def test_conditions_example(tmp_path: Path) -> None:
    code = (
        "import smtplib\nimport acme_sync\nimport acme_vault\n" + ORDER
        + 'email = order["BuyerInfo"]["BuyerEmail"]\n'
        + 'name = order["BuyerInfo"]["BuyerName"]\n'
        + "acme_sync.push([email], encrypt=False)\n"  # 8
        + "acme_sync.push([email])\n"
        + "def plain():\n"
        + '    smtp = smtplib.SMTP("smtp.example.com", 587)\n'
        + '    smtp.sendmail("a@example.com", ["ops@example.com"], name)\n'  # 12
        + "def tls():\n"
        + '    smtp = smtplib.SMTP("smtp.example.com", 587)\n'
        + "    smtp.starttls()\n"
        + '    smtp.sendmail("a@example.com", ["ops@example.com"], name)\n'  # 16
        + "acme_vault.put(name)\n"  # 17
        + 'acme_vault.put(name, options={"encrypt": True})\n'
    )
    assert _scan(tmp_path, "conditions.yaml", {"job.py": code}) == {
        ("job.py", 8, "SS112"), ("job.py", 12, "SS103"), ("job.py", 12, "SS112"),
        ("job.py", 16, "SS103"), ("job.py", 17, "SS112"),
    }


def test_sanitizers_example(tmp_path: Path) -> None:
    code = (
        "import logging\nimport acme_privacy\nimport requests\nfrom myapp import util\n" + ORDER
        + 'buyer = order["BuyerInfo"]\n'
        + 'logging.info(acme_privacy.mask_email(buyer["BuyerEmail"]))\n'
        + "logging.info(acme_privacy.mask_email(buyer))\n"  # 9
        + "logging.info(util.redact(buyer))\n"
        + 'requests.post("https://crm.example.net/c", json=util.redact(buyer))\n'  # 11
    )
    found = _scan(tmp_path, "sanitizers.yaml", {
        "myapp/__init__.py": "", "myapp/util.py": "def redact(value):\n    return value\n", "job.py": code})
    assert found == {("job.py", 9, "SS108"), ("job.py", 11, "SS107")}


def test_guards_example(tmp_path: Path) -> None:
    code = (
        "import logging\nimport re\nfrom flask import abort\n" + ORDER
        + 'ORDER_ID = r"\\d{3}-\\d{7}-\\d{7}"\n'
        + "def save(path):\n"
        + '    if "../" in path:\n'
        + "        return\n"
        + "    logging.info(path)\n"
        + "def show(ref):\n"
        + "    if not re.fullmatch(ORDER_ID, ref):\n"
        + "        abort(400)\n"
        + "    logging.info(ref)\n"
        + "def show_anyway(ref):\n"
        + "    if not re.fullmatch(ORDER_ID, ref):\n"
        + '        logging.warning("not an order number")\n'
        + "    logging.info(ref)\n"  # 18
        + 'name = order["BuyerInfo"]["BuyerName"]\n'
        + "save(name)\nshow(name)\nshow_anyway(name)\n"
    )
    assert _scan(tmp_path, "guards.yaml", {"job.py": code}) == {("job.py", 18, "SS108")}


def test_paths_example(tmp_path: Path) -> None:
    code = (
        "import requests\n" + ORDER
        + 'address = order["ShippingAddress"]\n'
        + 'requests.post("https://api.partner.example/shipments/v1", json=address)\n'
        + 'requests.post("https://api.partner.example/ads/audiences", json=address)\n'  # 6
        + 'requests.post("https://api.partner.example/other", json=address)\n'  # 7
        + 'requests.post("https://api.partner.example/" + address["City"], json=address)\n'  # 8
    )
    assert _scan(tmp_path, "paths.yaml", {"job.py": code}) == {
        ("job.py", 6, "SS101"), ("job.py", 7, "SS107"), ("job.py", 8, "SS107")}


def _feature_examples() -> dict[str, tuple[str, str]]:
    """The `#### Example:` sections of the guide: (ruleset YAML, program) pairs."""
    text = GUIDE.read_text(encoding="utf-8")
    found = {}
    for match in re.finditer(r"#### Example: ([^\n]+)\n(.*?)(?=\n#### |\n### |\n## )", text, re.DOTALL):
        blocks = re.findall(r"```(yaml|python)\n(.*?)```", match.group(2), re.DOTALL)
        yaml_text = next(body for lang, body in blocks if lang == "yaml")
        program = next(body for lang, body in blocks if lang == "python")
        found[match.group(1)] = (yaml_text, program)
    return found


def test_guide_has_an_example_per_non_call_feature() -> None:
    assert sorted(_feature_examples()) == [
        "a function's return value as a sink", "a handler's parameter as a source",
        "an attribute read as a source", "assignments as sinks",
        "only some positions of a tuple argument"]


@pytest.mark.parametrize("name", sorted(_feature_examples()))
def test_feature_example(name: str, tmp_path: Path) -> None:
    yaml_text, program = _feature_examples()[name]
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml_text, encoding="utf-8")
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text(program, encoding="utf-8")
    result = run_scan(ScanOptions(paths=[app], root=app, rulesets=[rules]))
    expected, _ = annotations_in(program, "app.py")
    assert expected
    assert {(f.sink.line, f.rule_id) for f in result.findings} == {(line, rule) for _, line, rule in expected}
