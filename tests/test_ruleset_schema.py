"""The JSON Schema of the ruleset format (rulesets/ruleset.schema.json): a valid draft
2020-12 schema that describes exactly what the builder accepts, documents every
property, validates every bundled ruleset, and turns each structural mistake into an
exact `file:line: message` before the builder's semantic checks."""

from __future__ import annotations

import json
import sys
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from scanner.cli import main
from scanner.model import Severity, SinkKind, Verdict
from scanner.rules import builder as builder_module
from scanner.rules.builder import TOP_LEVEL_KEYS, UNKNOWN_CALL_MODES
from scanner.rules.loader import RulesetError, load_ruleset_texts, load_rulesets
from scanner.rules.schema import DecoratorEffect, PropagatorEffect

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
RULESETS = REPO / "rulesets"
SCHEMA_PATH = RULESETS / "ruleset.schema.json"
FEATURES = REPO / "fixtures" / "ruleset_features" / "rules.yaml"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
DEFS = SCHEMA["$defs"]


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", sorted(RULESETS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_ruleset_validates_with_plain_jsonschema(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(document)]
    assert errors == []


def test_enums_are_the_engines_enums() -> None:
    assert DEFS["sinkKind"]["enum"] == [k.value for k in SinkKind]
    assert DEFS["severity"]["enum"] == [s.value for s in Severity]
    assert sorted(DEFS["verdict"]["enum"]) == sorted(v.value for v in Verdict)
    assert DEFS["propagatorEffect"]["enum"] == [e.value for e in PropagatorEffect]
    assert DEFS["decoratorEffect"]["enum"] == [e.value for e in DecoratorEffect]
    assert DEFS["settings"]["properties"]["unknown_calls"]["enum"] == list(UNKNOWN_CALL_MODES)


def test_schema_keys_are_exactly_the_keys_the_builder_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `check_keys` call of the builder (while it reads the bundled rulesets and the
    ruleset-features fixture, which together use every section) names the same keys as the schema object of the same title."""
    seen: dict[str, set[str]] = {}
    original = builder_module.RulesetBuilder.check_keys

    def spy(self: Any, node: Any, allowed: set[str], what: str, required: Any = ()) -> bool:
        seen.setdefault(what, set()).update(allowed)
        return bool(original(self, node, allowed, what, required))

    monkeypatch.setattr(builder_module.RulesetBuilder, "check_keys", spy)
    load_rulesets([FEATURES])
    objects = {d["title"]: set(d["properties"]) for d in DEFS.values()
               if d.get("type") == "object" and "title" in d}
    objects[SCHEMA["title"]] = set(SCHEMA["properties"])
    assert set(SCHEMA["properties"]) == TOP_LEVEL_KEYS
    assert seen.keys() == objects.keys()
    for what, keys in seen.items():
        assert objects[what] == keys, what


def _properties(node: Any, where: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "if":
                continue
            if key == "properties" and isinstance(value, dict):
                found.extend((f"{where}/{name}", sub) for name, sub in value.items())
            found.extend(_properties(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_properties(value, f"{where}/{index}"))
    return found


def _described(schema: Any) -> bool:
    if "description" in schema:
        return True
    ref = schema.get("$ref")
    return isinstance(ref, str) and "description" in DEFS[ref.rsplit("/", 1)[1]]


def test_every_property_has_a_description_for_editors() -> None:
    properties = _properties(SCHEMA)
    assert len(properties) > 60
    undocumented = [where for where, sub in properties if not _described(sub)]
    assert undocumented == []


def test_the_schema_ships_with_the_rulesets_package() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["setuptools"]["package-dir"]["scanner.rulesets"] == "rulesets"
    globs = pyproject["tool"]["setuptools"]["package-data"]["scanner.rulesets"]
    assert any(fnmatch(SCHEMA_PATH.name, g) for g in globs)
    dependencies = pyproject["project"]["dependencies"]
    assert any(d.startswith("jsonschema") for d in dependencies)
    assert not any(d.startswith("jsonschema") for d in pyproject["project"]["optional-dependencies"]["test"])


def test_readme_tells_editors_where_the_schema_is() -> None:
    readme = (RULESETS / "README.md").read_text(encoding="utf-8")
    assert "# yaml-language-server: $schema=" in readme
    assert "ruleset.schema.json" in readme


def _problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(RulesetError) as info:
        load_ruleset_texts([("user.yaml", text)])
    return [(line, msg) for f, line, msg in info.value.problems if f == "user.yaml"]


ARG_SPEC = ("a position (0), a keyword name (`json`), POSITION:NAME (`0:url`: either way it is "
            "passed) or `receiver` (the object a method is called on), optionally followed by "
            "`[N]`: only position N of that argument, a tuple (`0[0]`)")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sinks:\n  - id: x\n    calls: [requests.post]\n    kind: http\n    destinaton: log\n",
         [(2, "a sink is missing required key 'destination'"),
          (5, "unknown key 'destinaton' in a sink (did you mean 'destination'?)")]),
        (("sinks:\n  - id: x\n    calls: [a.b]\n    kind: http\n    destination: d\n"
         "    args: ['x:y', -1, true]\n"),
         [(6, f"bad argument spec 'x:y': expected {ARG_SPEC}"),
          (6, "bad argument spec -1: positions start at 0"),
          (6, "bad argument spec True: must be a number or a string")]),
        ("sources:\n  - id: s\n    calls: []\n    returns: {a: 3}\n    writes:\n      arg: 0\n",
         [(3, "`calls` must not be empty"),
          (4, "bad shape 3: must be a string or a list or a mapping"),
          (6, "`writes` is missing required key 'returns'")]),
        ("sources:\n  - id: s\n    calls: [a.b]\n    returns: email\n    url: 0\n",
         [(2, "a source is missing required key 'url_matches'")]),
        ("sinks: {a: 1}\nsettings:\n  unknown_calls: sometimes\n  buffer: []\nfoo: 1\n",
         [(1, "`sinks` must be a list"),
          (3, "unknown `unknown_calls` value 'sometimes'; known: propagate, drop"),
          (4, "unknown key 'buffer' in settings (did you mean 'buffers'?)"),
          (5, "unknown key 'foo' in the ruleset")]),
        ("policy:\n  - verdict: violation\n    destinations: [log]\n    hashed: maybe\n",
         [(2, "a policy entry is missing required key 'rule'"),
          (4, "`hashed` must be true or false")]),
        ("propagators:\n  - id: p\n    calls: x.y\n    effect: get\n  - 3\n",
         [(2, "a propagator is missing required key 'key'"),
          (5, "a propagator must be a mapping")]),
        ("rules:\n  - id: R\n    name: n\n    severity: severe\n    title: t\n    tags: tag\n",
         [(4, "unknown severity 'severe'; known: critical, high, medium, low, info"),
          (6, "`tags` must be a list")]),
        ("sinks:\n  - id: x\n    calls: [a.b]\n    kind: emial\n    destination: d\n",
         [(4, "unknown sink kind 'emial' (did you mean 'email'?); known: "
              + ", ".join(k.value for k in SinkKind))]),
        ("hosts:\n  ad_platform:\n    - https://x.com/path\n  log: x\n",
         [(3, ("bad host glob 'https://x.com/path': expected a host name glob without scheme "
              "or port, e.g. `api.example.com` or `*.example.com`, optionally with a path glob "
              "(`api.example.com/orders/*`)")),
          (4, "`log` must be a list")]),
        ("- just a list\n", [(1, "a ruleset must be a mapping at the top level")]),
    ],
)
def test_structural_mistakes_give_exact_file_line_messages(
        text: str, expected: list[tuple[int, str]]) -> None:
    assert _problems(text) == expected


def test_semantic_checks_follow_once_the_structure_is_right() -> None:
    text = ("sources:\n  - id: s\n    calls: ['a.b(']\n    returns: $nope\n"
            "policy:\n  - rule: NOPE\n    verdict: violation\n    destinations: [log]\n")
    assert _problems(text) == [(3, "bad call pattern 'a.b(': unbalanced '('"),
                               (4, "unknown shape 'nope'"),
                               (6, "policy entry names unknown rule 'NOPE'")]


def test_structural_problems_of_every_file_are_reported_together() -> None:
    with pytest.raises(RulesetError) as info:
        load_ruleset_texts([("a.yaml", "sinks: 1\n"), ("b.yaml", "rules:\n  - id: R\n")])
    assert info.value.problems == [
        ("a.yaml", 1, "`sinks` must be a list"),
        ("b.yaml", 2, "a rule is missing required key 'name'"),
        ("b.yaml", 2, "a rule is missing required key 'severity'"),
        ("b.yaml", 2, "a rule is missing required key 'title'"),
    ]


def test_cli_reports_a_schema_error_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("# yaml-language-server: $schema=ruleset.schema.json\n"
                   "decorators:\n  - id: d\n    calls: [a.b]\n    effect: yield_return\n",
                   encoding="utf-8")
    app = tmp_path / "app.py"
    app.write_text("print(1)\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(app), "--ruleset", str(bad)])
    assert result.exit_code == 2
    assert (f"{bad}:5: unknown effect 'yield_return' (did you mean 'yields_return'?); "
            "known: transparent, yields_return") in result.output
