"""Reading one ruleset document: problems reported with file and line, allowed keys,
ids, call patterns, argument specs, enum-valued fields and PII shapes.

`RulesetBuilder` (in `builder`) extends the reader with the sections of a ruleset."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, TypeVar

from scanner.model import TextEnum
from scanner.rules.patterns import CallPattern, PatternError, parse_pattern
from scanner.rules.schema import RECEIVER, ArgSpec, FunctionSelector, Origin
from scanner.rules.shapes import ANY_KEY, LIST_KEY, Shape, normalize_key
from scanner.rules.yamlload import LineDict, LineList

E = TypeVar("E", bound=TextEnum)
_NAME_GLOB = re.compile(r"[A-Za-z0-9_*?]+")


class RulesetError(Exception):
    """One or more rulesets are invalid; `problems` holds (file, line, message)."""

    def __init__(self, problems: list[tuple[str, int, str]]) -> None:
        self.problems = problems
        lines = [f"{f}:{line}: {msg}" if line else f"{f}: {msg}" for f, line, msg in problems]
        super().__init__("invalid ruleset:\n  " + "\n  ".join(lines))

class DocumentReader:
    """Reads the fields of ruleset documents, collecting every problem found."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, int, str]] = []
        self.file = ""
        self.shape_defs: dict[str, tuple[str, Any, int]] = {}
        self.shape_cache: dict[str, Shape | None] = {}

    # -- error helpers -------------------------------------------------------------
    def error(self, line: int, message: str) -> None:
        """Record a problem at `line` of the current file."""
        self.problems.append((self.file, line, message))

    def check_keys(self, node: LineDict, allowed: set[str], what: str, required: Iterable[str] = ()) -> bool:
        """Report unknown keys (with a did-you-mean hint) and missing required ones; True if none."""
        ok = True
        for key in node:
            if key not in allowed:
                hint = close_match(str(key), allowed)
                self.error(node.line_of(key), f"unknown key {key!r} in {what}{hint}")
                ok = False
        for key in required:
            if key not in node:
                self.error(node.line, f"{what} is missing required key {key!r}")
                ok = False
        return ok

    # -- document ------------------------------------------------------------------
    def add_shapes(self, label: str, doc: Any) -> None:
        """First pass: register the named shapes, so any ruleset may use any shape."""
        self.file = label
        if not isinstance(doc, LineDict):
            return
        shapes = doc.get("shapes")
        if shapes is None:
            return
        if not isinstance(shapes, LineDict):
            self.error(doc.line_of("shapes"), "`shapes` must be a mapping of name -> shape")
            return
        for name, body in shapes.items():
            self.shape_defs[str(name)] = (label, body, shapes.line_of(name))

    # -- pieces --------------------------------------------------------------------
    def origin(self, node: LineDict) -> Origin:
        """Where `node` was declared."""
        return Origin(self.file, node.line)

    def text(self, node: LineDict, key: str, required: bool = False) -> str:
        """The string value of `key` ("" when absent or not a string, with a problem recorded)."""
        value = node.get(key)
        if value is None:
            if required:
                self.error(node.line, f"missing required key {key!r}")
            return ""
        if not isinstance(value, str):
            self.error(node.line_of(key), f"{key!r} must be a string")
            return ""
        return value

    def choice(self, node: LineDict, key: str, options: type[E], what: str) -> E | None:
        """The value of `key` as one of an enum's members (an error naming them if not)."""
        text = self.text(node, key)
        if not text:
            return None
        try:
            return options(text)
        except ValueError:
            names = [str(o.value) for o in options]
            self.error(node.line_of(key), f"unknown {what} {text!r}{close_match(text, names)}; "
                                          f"known: {', '.join(names)}")
            return None

    def entry_id(self, node: LineDict) -> str | None:
        """The entry's `id` (a non-empty string), or None with a problem recorded."""
        value = node.get("id")
        if not isinstance(value, str) or not value.strip():
            self.error(node.line, "entry needs an `id` (a non-empty string)")
            return None
        return value

    def patterns(self, node: LineDict, key: str = "calls") -> tuple[CallPattern, ...]:
        """The entry's `calls` (or `key`): one pattern or a list, each parsed (bad ones
        reported)."""
        raw = node.get(key)
        if raw is None:
            self.error(node.line, f"entry needs `{key}`: a list of call patterns")
            return ()
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            self.error(node.line_of(key), f"`{key}` must be a non-empty list of patterns")
            return ()
        result = []
        for index, text in enumerate(raw):
            line = raw.line_of(index) if isinstance(raw, LineList) else node.line_of(key)
            try:
                result.append(parse_pattern(text))
            except PatternError as exc:
                self.error(line, f"bad call pattern {text!r}: {exc}")
        return tuple(result)

    def arg_spec(self, raw: Any, line: int) -> ArgSpec | None:
        """One argument spec: a position, a keyword name, POSITION:NAME or `receiver`,
        optionally followed by `[N]`: only position N of that argument (a tuple)."""
        if isinstance(raw, str) and raw.endswith("]") and "[" in raw:
            head, _, index = raw[:-1].partition("[")
            if not index.strip().isdigit():
                self.error(line, f"bad argument spec {raw!r}: `[N]` takes a tuple position, e.g. 0[0]")
                return None
            spec = self.arg_spec(head.strip(), line)
            return None if spec is None else replace(spec, index=int(index))
        if isinstance(raw, bool):
            self.error(line, f"bad argument spec {raw!r}")
            return None
        if isinstance(raw, int):
            if raw < 0:
                self.error(line, "argument positions start at 0")
                return None
            return ArgSpec(position=raw)
        if isinstance(raw, str):
            if raw == RECEIVER:
                return ArgSpec(receiver=True)
            pos, sep, name = raw.partition(":")
            if sep:
                if not pos.strip().isdigit() or not name.strip().isidentifier():
                    self.error(line, f"bad argument spec {raw!r}: use POSITION:NAME, e.g. 1:users")
                    return None
                return ArgSpec(position=int(pos), name=name.strip())
            if raw.isdigit():
                return ArgSpec(position=int(raw))
            if not raw.isidentifier():
                self.error(line, f"bad argument spec {raw!r}: a position, a keyword name, POSITION:NAME or `receiver`")
                return None
            return ArgSpec(name=raw)
        self.error(line, f"bad argument spec {raw!r}")
        return None

    def arg_specs(self, node: LineDict, key: str) -> tuple[ArgSpec, ...] | None:
        """The argument specs under `key` (None: absent or `all`, meaning every argument)."""
        raw = node.get(key)
        if raw is None or raw == "all":
            return None
        if not isinstance(raw, LineList):
            raw_list = LineList([raw])
            raw_list.line = node.line_of(key)
            raw_list.item_lines = [node.line_of(key)]
            raw = raw_list
        specs = []
        for index, item in enumerate(raw):
            spec = self.arg_spec(item, raw.line_of(index))
            if spec is not None:
                specs.append(spec)
        return tuple(specs)

    def function_selector(self, node: LineDict, key: str = "functions") -> FunctionSelector | None:
        """`functions: {decorated: [...], overrides: [BASE.METHOD, ...], named: [GLOB, ...]}`:
        which project functions an entry is about (None, with a problem, if malformed)."""
        raw = node.get(key)
        if not isinstance(raw, LineDict) or not raw:
            self.error(node.line_of(key), f"`{key}` is a mapping with `decorated`, `overrides` "
                                          "and/or `named`")
            return None
        before = len(self.problems)
        self.check_keys(raw, {"decorated", "overrides", "named"}, f"`{key}`")
        decorated = self.patterns(raw, "decorated") if "decorated" in raw else ()
        overrides = self.patterns(raw, "overrides") if "overrides" in raw else ()
        for pattern in overrides:
            if len(pattern.segments) < 2 or pattern.any_receiver:
                self.error(raw.line_of("overrides"), f"override {pattern.text!r} must name a base "
                                                     "class and a method: BASE.METHOD")
        named = str_list(raw.get("named", []))
        if named is None or not all(_NAME_GLOB.fullmatch(n) for n in named):
            self.error(raw.line_of("named"), "`named` is a list of function-name globs (letters, "
                                             "digits, `_`, `*`, `?`)")
        if len(self.problems) > before or named is None:
            return None
        return FunctionSelector(decorated, overrides, tuple(named))

    # -- shapes --------------------------------------------------------------------
    def shape(self, body: Any, line: int, stack: tuple[str, ...] = ()) -> Shape | None:
        """A PII shape: a kind, a list of kinds, or a mapping of fields (with `$ref`, `$via`, `$kinds`)."""
        if isinstance(body, str):
            if body.startswith("$"):
                return self.named_shape(body[1:], line, stack)
            return Shape.leaf([body])
        if isinstance(body, list):
            if not body or not all(isinstance(k, str) for k in body):
                self.error(line, "a leaf shape is a PII kind or a non-empty list of kinds")
                return None
            return Shape.leaf(body)
        if not isinstance(body, LineDict):
            self.error(line, f"bad shape {body!r}: a PII kind, a list of kinds or a mapping")
            return None
        children: dict[str, Shape | None] = {}
        kinds: list[str] = []
        via = None
        for key, value in body.items():
            key_line = body.line_of(key)
            key = str(key)
            if key == "$ref":
                names = value if isinstance(value, list) else [value]
                for name in names:
                    ref = self.named_shape(str(name), key_line, stack)
                    if ref is not None:
                        for k, v in ref.children.items():
                            children[k] = v
                        kinds.extend(ref.kinds)
                continue
            if key == "$via":
                if not isinstance(value, str):
                    self.error(key_line, "`$via` names a field of the same mapping")
                    continue
                via = normalize_key(value)
                continue
            if key == "$kinds":
                if isinstance(value, str):
                    value = [value]
                kinds.extend(str(v) for v in value)
                continue
            if key.startswith("$"):
                self.error(key_line, f"unknown shape directive {key!r} (known: $ref, $via, $kinds)")
                continue
            norm = normalize_key(key) if key not in (LIST_KEY, ANY_KEY) else key
            children[norm] = self.shape(value, key_line, stack)
        if via is not None and via not in children:
            self.error(body.line, f"`$via` names {via!r}, which is not a field of this mapping")
        return Shape.make({k: v for k, v in children.items() if v is not None}, kinds, via)

    def named_shape(self, name: str, line: int, stack: tuple[str, ...]) -> Shape | None:
        """The shape defined under `shapes:` as `name` (cycles and unknown names reported)."""
        if name in stack:
            self.error(line, f"shape {name!r} refers to itself ({' -> '.join(stack + (name,))})")
            return None
        if name in self.shape_cache:
            return self.shape_cache[name]
        found = self.shape_defs.get(name)
        if found is None:
            self.error(line, f"unknown shape {name!r}")
            return None
        saved = self.file
        self.file = found[0]
        result = self.shape(found[1], found[2], stack + (name,))
        self.file = saved
        self.shape_cache[name] = result
        return result


def close_match(word: str, options: Iterable[str]) -> str:
    """A " (did you mean 'x'?)" hint for a misspelt word, or ""."""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def str_list(value: Any) -> list[str] | None:
    """A string or a list of strings as a list (None for anything else)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None
