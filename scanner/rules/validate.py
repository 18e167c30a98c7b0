"""Structural validation of ruleset documents against `ruleset.schema.json`.

The JSON Schema (draft 2020-12, shipped with the bundled rulesets) describes every
section and key; editors use it to complete and check rulesets, and the loader runs it
on each document before the builder's semantic checks (unknown shapes and rules, bad
call patterns). Each schema error becomes a `(line, message)` problem: the line comes
from the `LineDict`/`LineList` nodes of `yamlload`, the wording from the schema's
`title`s ("unknown key 'x' in a sink (did you mean 'y'?)"). The validator is compiled
once per process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from scanner.rules.document import close_match

if TYPE_CHECKING:  # jsonschema is imported when a ruleset needs checking (it is slow to import)
    import jsonschema
    from jsonschema.exceptions import ValidationError
from scanner.rules.yamlload import LineDict, LineList

SCHEMA_FILE = "ruleset.schema.json"

_TYPE_NAMES = {
    "object": "a mapping", "array": "a list", "string": "a string", "integer": "a number",
    "boolean": "true or false", "number": "a number", "null": "empty",
}


def schema_text() -> str:
    """The text of the bundled ruleset schema."""
    return resources.files("scanner.rulesets").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def ruleset_schema() -> dict[str, Any]:
    """The bundled ruleset schema, parsed (once)."""
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    """The compiled validator, once per process. References to definitions that do not
    refer to themselves are inlined first: that halves the validation time."""
    import jsonschema

    schema = ruleset_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator: jsonschema.protocols.Validator = cls(_inline(schema, schema, ()))
    return validator


def _inline(node: Any, root: dict[str, Any], seen: tuple[str, ...]) -> Any:
    """`node` with each local `$ref` replaced by a copy of its target, except the
    references a definition makes to itself (recursive shapes)."""
    if isinstance(node, list):
        return [_inline(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
        rest = {k: _inline(v, root, seen) for k, v in node.items() if k != "$ref"}
        return {**_inline(_resolve(root, ref), root, seen + (ref,)), **rest}
    return {k: _inline(v, root, seen) for k, v in node.items()}


def schema_problems(doc: Any) -> list[tuple[int, str]]:
    """The (line, message) problems the schema finds in one parsed document, by line
    (an empty document has none)."""
    if doc is None:
        return []
    found: dict[tuple[int, str], None] = {}
    for error in _validator().iter_errors(doc):
        for problem in _describe(doc, error):
            found.setdefault(problem)
    return sorted(found, key=lambda p: p[0])


def _describe(doc: Any, error: ValidationError) -> Iterator[tuple[int, str]]:
    path = list(error.absolute_path)
    node, parent = _walk(doc, path)
    line = _line(doc, path, node, parent, error.validator in ("required", "dependentRequired"))
    what = _title(error)
    kind = error.validator
    if kind == "type" and not path:
        yield line, "a ruleset must be a mapping at the top level"
    elif kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        expected_types = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        if error.schema.get("title") and expected != "object" and not isinstance(node, (dict, list)):
            yield line, f"bad {what} {node!r}: must be {expected_types}"
        else:
            subject = what if error.schema.get("title") else _subject(path)
            yield line, f"{subject} must be {expected_types}"
    elif kind == "additionalProperties" and isinstance(node, dict):
        allowed = list(error.schema.get("properties", {}))
        for key in node:
            if key not in allowed:
                yield _key_line(node, key), f"unknown key {key!r} in {what}{close_match(str(key), allowed)}"
    elif kind in ("required", "dependentRequired") and isinstance(node, dict):
        needed = error.validator_value
        if kind == "dependentRequired":
            needed = [k for present, keys in needed.items() if present in node for k in keys]
        for key in needed:
            if key not in node:
                yield line, f"{what} is missing required key {key!r}"
    elif kind == "enum":
        options = [str(o) for o in error.validator_value]
        yield line, (f"unknown {what} {error.instance!r}{close_match(str(error.instance), options)}; "
                     f"known: {', '.join(options)}")
    elif kind == "pattern":
        yield line, f"bad {what} {error.instance!r}: expected {_expected(error.schema)}"
    elif kind in ("minItems", "minLength"):
        yield line, f"{_subject(path)} must not be empty"
    elif kind == "minimum":
        yield line, f"bad {what} {error.instance!r}: positions start at {error.validator_value}"
    else:
        yield line, f"{_subject(path)}: {error.message}"


def _walk(doc: Any, path: Sequence[Any]) -> tuple[Any, Any]:
    """The node at `path` and its parent."""
    node, parent = doc, None
    for step in path:
        parent, node = node, node[step]
    return node, parent


def _line(doc: Any, path: Sequence[Any], node: Any, parent: Any, own_line: bool) -> int:
    """The line of the key (or item) holding the value at `path`; with `own_line`, the
    line a mapping or list value starts on (where its missing keys are reported)."""
    if isinstance(node, (LineDict, LineList)) and (own_line or not path):
        return node.line
    if path and isinstance(parent, (LineDict, LineList)):
        return parent.line_of(path[-1])
    return getattr(doc, "line", 1) or 1


def _key_line(node: dict[Any, Any], key: Any) -> int:
    return node.line_of(key) if isinstance(node, LineDict) else 1


def _subject(path: Sequence[Any]) -> str:
    """How a message names the value at `path`: `key`, or an entry of `section`."""
    if not path:
        return "the ruleset"
    last = path[-1]
    if isinstance(last, int):
        keys = [p for p in path if isinstance(p, str)]
        return f"each entry of `{keys[-1]}`" if keys else "each entry"
    return f"`{last}`"


def _title(error: ValidationError) -> str:
    """The innermost `title` on the schema path to the error (following `$ref`s, which
    the path leaves out)."""
    root = ruleset_schema()
    schema: Any = root
    title = str(root.get("title", "the ruleset"))
    for step in error.absolute_schema_path:
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and step not in schema:
            schema = _resolve(root, schema["$ref"])
            if isinstance(schema, dict) and isinstance(schema.get("title"), str):
                title = schema["title"]
        if isinstance(schema, dict):
            schema = schema.get(step)
        elif isinstance(schema, list) and isinstance(step, int) and step < len(schema):
            schema = schema[step]
        else:
            break
        if isinstance(schema, dict) and isinstance(schema.get("title"), str):
            title = schema["title"]
    return title


def _resolve(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
    return node


def _expected(schema: dict[str, Any]) -> str:
    return str(schema.get("description", "does not match the expected form")).rstrip(".")
