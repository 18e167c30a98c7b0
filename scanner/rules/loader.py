"""Load rulesets from YAML, validate them, and merge them into one `RuleSet`.

Every problem is reported with the file and line it was found on; all problems of all
files are collected before `RulesetError` is raised, so an author fixes them in one go.
Later rulesets (a user's `--ruleset`) override earlier ones (the bundled catalog): an
entry with the same id replaces the earlier one, and their policy entries are consulted
first. A ruleset may also `disable:` ids of entries it does not want.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from scanner.model import Severity, SinkKind, TextEnum, Verdict
from scanner.rules.patterns import CallPattern, PatternError, PatternIndex, parse_pattern
from scanner.rules.schema import (
    MUTATING_EFFECTS,
    RECEIVER,
    ArgSpec,
    DecoratorEffect,
    DecoratorRule,
    HostRule,
    Origin,
    PolicyEntry,
    PolicyRule,
    PropagatorEffect,
    PropagatorRule,
    RuleSet,
    SanitizerRule,
    SinkRule,
    SourceRule,
)
from scanner.rules.shapes import ANY_KEY, LIST_KEY, Shape, normalize_key
from scanner.rules.yamlload import LineDict, LineList, YamlError, load_yaml

TOP_LEVEL_KEYS = {
    "ruleset", "description", "shapes", "sources", "sinks", "sanitizers",
    "propagators", "decorators", "hosts", "settings", "rules", "policy", "disable",
}
UNKNOWN_CALL_MODES = ("propagate", "drop")
SECTIONS = ("sources", "sinks", "sanitizers", "propagators", "decorators", "rules")
E = TypeVar("E", bound=TextEnum)


class RulesetError(Exception):
    """One or more rulesets are invalid; `problems` holds (file, line, message)."""

    def __init__(self, problems: list[tuple[str, int, str]]) -> None:
        self.problems = problems
        lines = [f"{f}:{line}: {msg}" if line else f"{f}: {msg}" for f, line, msg in problems]
        super().__init__("invalid ruleset:\n  " + "\n  ".join(lines))


def bundled_ruleset_dir() -> Path:
    """The directory of the rulesets shipped with sellerscan."""
    return Path(str(resources.files("scanner.rulesets")))


def ruleset_files(path: Path) -> list[Path]:
    """The YAML files a `--ruleset` argument names: a file, or a directory's *.yaml/*.yml."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def load_rulesets(extra: Iterable[Path] = (), include_bundled: bool = True) -> RuleSet:
    """Load the bundled rulesets and then each extra path; raise RulesetError if any is bad."""
    paths: list[Path] = []
    if include_bundled:
        paths.extend(ruleset_files(bundled_ruleset_dir()))
    problems: list[tuple[str, int, str]] = []
    for p in extra:
        if not p.exists():
            problems.append((str(p), 0, "no such ruleset file or directory"))
            continue
        found = ruleset_files(p)
        if not found:
            problems.append((str(p), 0, "directory holds no *.yaml ruleset"))
        paths.extend(found)
    if problems:
        raise RulesetError(problems)
    documents: list[tuple[str, Any]] = []
    for path in paths:
        label = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append((label, 0, f"cannot read: {exc}"))
            continue
        try:
            documents.append((label, load_yaml(text)))
        except YamlError as exc:
            problems.append((label, exc.line, str(exc)))
    if problems:
        raise RulesetError(problems)
    return build_ruleset(documents)


def load_ruleset_texts(texts: list[tuple[str, str]], include_bundled: bool = True) -> RuleSet:
    """Like `load_rulesets`, from (label, YAML text) pairs (for tests and tools)."""
    documents: list[tuple[str, Any]] = []
    problems: list[tuple[str, int, str]] = []
    if include_bundled:
        for path in ruleset_files(bundled_ruleset_dir()):
            documents.append((str(path), load_yaml(path.read_text(encoding="utf-8"))))
    for label, text in texts:
        try:
            documents.append((label, load_yaml(text)))
        except YamlError as exc:
            problems.append((label, exc.line, str(exc)))
    if problems:
        raise RulesetError(problems)
    return build_ruleset(documents)


class _Builder:
    """Validates documents one by one and accumulates the merged rule set."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, int, str]] = []
        self.file = ""
        self.shape_defs: dict[str, tuple[str, Any, int]] = {}
        self.shape_cache: dict[str, Shape | None] = {}
        self.entries: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
        self.hosts: list[HostRule] = []
        self.policy_layers: list[list[PolicyEntry]] = []
        self.disabled: set[str] = set()
        self.unknown_calls = "propagate"

    # -- error helpers -------------------------------------------------------------
    def error(self, line: int, message: str) -> None:
        self.problems.append((self.file, line, message))

    def check_keys(self, node: LineDict, allowed: set[str], what: str, required: Iterable[str] = ()) -> bool:
        ok = True
        for key in node:
            if key not in allowed:
                hint = _close_match(str(key), allowed)
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

    def add_document(self, label: str, doc: Any) -> None:
        self.file = label
        if doc is None:
            return
        if not isinstance(doc, LineDict):
            self.error(getattr(doc, "line", 1), "a ruleset must be a mapping at the top level")
            return
        self.check_keys(doc, TOP_LEVEL_KEYS, "the ruleset")
        disable = doc.get("disable")
        if disable is not None:
            if not isinstance(disable, LineList) or not all(isinstance(d, str) for d in disable):
                self.error(doc.line_of("disable"), "`disable` must be a list of ids")
            else:
                self.disabled.update(disable)
        for section, parse in (
            ("sources", self.parse_source),
            ("sinks", self.parse_sink),
            ("sanitizers", self.parse_sanitizer),
            ("propagators", self.parse_propagator),
            ("decorators", self.parse_decorator),
            ("rules", self.parse_rule),
        ):
            self.parse_list(doc, section, parse)
        settings = doc.get("settings")
        if settings is not None:
            if not isinstance(settings, LineDict):
                self.error(doc.line_of("settings"), "`settings` must be a mapping")
            else:
                self.check_keys(settings, {"unknown_calls"}, "settings")
                mode = settings.get("unknown_calls")
                if mode is not None:
                    if mode not in UNKNOWN_CALL_MODES:
                        self.error(settings.line_of("unknown_calls"),
                                   f"unknown_calls must be one of {', '.join(UNKNOWN_CALL_MODES)}")
                    else:
                        self.unknown_calls = mode
        hosts = doc.get("hosts")
        if hosts is not None:
            self.parse_hosts(hosts, doc.line_of("hosts"))
        policy = doc.get("policy")
        if policy is not None:
            self.policy_layers.append(self.parse_policy(policy, doc.line_of("policy")))

    def parse_list(self, doc: LineDict, section: str, parse: Callable[[LineDict], Any]) -> None:
        items = doc.get(section)
        if items is None:
            return
        if not isinstance(items, LineList):
            self.error(doc.line_of(section), f"`{section}` must be a list")
            return
        for index, item in enumerate(items):
            if not isinstance(item, LineDict):
                self.error(items.line_of(index), f"each entry of `{section}` must be a mapping")
                continue
            entry = parse(item)
            if entry is not None:
                self.entries[section][entry.id] = entry

    # -- pieces --------------------------------------------------------------------
    def origin(self, node: LineDict) -> Origin:
        return Origin(self.file, node.line)

    def text(self, node: LineDict, key: str, required: bool = False) -> str:
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
            self.error(node.line_of(key), f"unknown {what} {text!r}{_close_match(text, names)}; "
                                          f"known: {', '.join(names)}")
            return None

    def entry_id(self, node: LineDict) -> str | None:
        value = node.get("id")
        if not isinstance(value, str) or not value.strip():
            self.error(node.line, "entry needs an `id` (a non-empty string)")
            return None
        return value

    def patterns(self, node: LineDict) -> tuple[CallPattern, ...]:
        raw = node.get("calls")
        if raw is None:
            self.error(node.line, "entry needs `calls`: a list of call patterns")
            return ()
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            self.error(node.line_of("calls"), "`calls` must be a non-empty list of patterns")
            return ()
        result = []
        for index, text in enumerate(raw):
            line = raw.line_of(index) if isinstance(raw, LineList) else node.line_of("calls")
            try:
                result.append(parse_pattern(text))
            except PatternError as exc:
                self.error(line, f"bad call pattern {text!r}: {exc}")
        return tuple(result)

    def arg_spec(self, raw: Any, line: int) -> ArgSpec | None:
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

    # -- shapes --------------------------------------------------------------------
    def shape(self, body: Any, line: int, stack: tuple[str, ...] = ()) -> Shape | None:
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

    # -- sections ------------------------------------------------------------------
    def parse_source(self, node: LineDict) -> SourceRule | None:
        self.check_keys(node, {"id", "description", "calls", "returns", "url", "url_matches"},
                        "a source", ("id", "calls", "returns"))
        ident = self.entry_id(node)
        patterns = self.patterns(node)
        shape = None
        if "returns" in node:
            before = len(self.problems)
            shape = self.shape(node["returns"], node.line_of("returns"))
            if shape is None and len(self.problems) == before:
                self.error(node.line_of("returns"), "`returns` describes no PII kind")
        url = self.arg_spec(node["url"], node.line_of("url")) if "url" in node else None
        globs = node.get("url_matches", [])
        if isinstance(globs, str):
            globs = [globs]
        if (url is None) != (not globs):
            self.error(node.line, "`url` and `url_matches` go together: which argument, which URLs")
        if ident is None or not patterns or shape is None:
            return None
        return SourceRule(ident, self.text(node, "description"), patterns, shape, url,
                          tuple(str(g) for g in globs), self.origin(node))

    def parse_sink(self, node: LineDict) -> SinkRule | None:
        self.check_keys(node, {"id", "description", "calls", "args", "kind", "destination", "url"},
                        "a sink", ("id", "calls", "kind", "destination"))
        ident = self.entry_id(node)
        patterns = self.patterns(node)
        args = self.arg_specs(node, "args")
        url = self.arg_spec(node["url"], node.line_of("url")) if "url" in node else None
        kind = self.choice(node, "kind", SinkKind, "sink kind")
        destination = self.text(node, "destination")
        if ident is None or not patterns or not kind or not destination:
            return None
        return SinkRule(ident, self.text(node, "description"), patterns, args, kind, destination,
                        url, self.origin(node))

    def parse_sanitizer(self, node: LineDict) -> SanitizerRule | None:
        self.check_keys(node, {"id", "description", "calls"}, "a sanitizer", ("id", "calls"))
        ident = self.entry_id(node)
        patterns = self.patterns(node)
        if ident is None or not patterns:
            return None
        return SanitizerRule(ident, self.text(node, "description"), patterns, self.origin(node))

    def parse_propagator(self, node: LineDict) -> PropagatorRule | None:
        self.check_keys(node, {"id", "description", "calls", "effect", "from", "key", "callable"},
                        "a propagator", ("id", "calls", "effect"))
        ident = self.entry_id(node)
        patterns = self.patterns(node)
        effect = self.choice(node, "effect", PropagatorEffect, "effect")
        sources = self.arg_specs(node, "from")
        key = self.arg_spec(node["key"], node.line_of("key")) if "key" in node else None
        func = self.arg_spec(node["callable"], node.line_of("callable")) if "callable" in node else None
        if effect in (PropagatorEffect.GET, PropagatorEffect.SET_KEY) and key is None:
            self.error(node.line, f"effect {effect!r} needs `key`: the argument holding the key")
        if effect is PropagatorEffect.APPLY and func is None:
            self.error(node.line, "effect 'apply' needs `callable`: the argument holding the function")
        if effect in MUTATING_EFFECTS and sources is None:
            self.error(node.line, f"effect {effect!r} needs `from`: the arguments added to the receiver")
        if ident is None or not patterns or effect is None:
            return None
        return PropagatorRule(ident, self.text(node, "description"), patterns, effect, sources,
                              key, func, self.origin(node))

    def parse_decorator(self, node: LineDict) -> DecoratorRule | None:
        self.check_keys(node, {"id", "description", "calls", "effect"}, "a decorator",
                        ("id", "calls", "effect"))
        ident = self.entry_id(node)
        patterns = self.patterns(node)
        effect = self.choice(node, "effect", DecoratorEffect, "effect")
        if ident is None or not patterns or effect is None:
            return None
        return DecoratorRule(ident, self.text(node, "description"), patterns, effect,
                             self.origin(node))

    def parse_rule(self, node: LineDict) -> PolicyRule | None:
        self.check_keys(node, {"id", "name", "severity", "title", "explanation", "fix", "policy",
                               "bad_example", "good_example", "tags"},
                        "a rule", ("id", "name", "severity", "title"))
        ident = self.entry_id(node)
        sev_text = self.text(node, "severity")
        try:
            severity = Severity(sev_text)
        except ValueError:
            if sev_text:
                self.error(node.line_of("severity"), f"severity {sev_text!r} is not one of "
                           + ", ".join(s.value for s in Severity))
            return None
        tags = node.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            self.error(node.line_of("tags"), "`tags` must be a list of strings")
            tags = []
        if ident is None:
            return None
        return PolicyRule(ident, self.text(node, "name", True), severity,
                          self.text(node, "title", True), self.text(node, "explanation"),
                          self.text(node, "fix"), self.text(node, "policy"),
                          self.text(node, "bad_example"), self.text(node, "good_example"),
                          tuple(tags), self.origin(node))

    def parse_hosts(self, hosts: Any, line: int) -> None:
        if not isinstance(hosts, LineDict):
            self.error(line, "`hosts` must map a destination class to a list of host globs")
            return
        for category, globs in hosts.items():
            cat_line = hosts.line_of(category)
            if not isinstance(globs, LineList) or not all(isinstance(g, str) for g in globs):
                self.error(cat_line, f"hosts of {category!r} must be a list of host globs")
                continue
            for index, glob in enumerate(globs):
                if "/" in glob or ":" in glob or not glob.strip():
                    self.error(globs.line_of(index), f"{glob!r} is not a host glob (no scheme, port or path)")
                    continue
                self.hosts.append(HostRule(glob.lower(), str(category), Origin(self.file, globs.line_of(index))))

    def parse_policy(self, policy: Any, line: int) -> list[PolicyEntry]:
        if not isinstance(policy, LineList):
            self.error(line, "`policy` must be a list of entries")
            return []
        result = []
        for index, node in enumerate(policy):
            if not isinstance(node, LineDict):
                self.error(policy.line_of(index), "each policy entry must be a mapping")
                continue
            self.check_keys(node, {"rule", "verdict", "destinations", "pii", "hashed"},
                            "a policy entry", ("verdict", "destinations"))
            verdict = self.choice(node, "verdict", Verdict, "verdict")
            if verdict is None:
                continue
            rule = node.get("rule")
            if verdict is not Verdict.ALLOW and not isinstance(rule, str):
                self.error(node.line, f"a {verdict!r} entry needs `rule`: the rule id it reports")
                continue
            dests = _str_list(node.get("destinations"))
            pii = _str_list(node.get("pii", ["*"]))
            if dests is None or pii is None:
                self.error(node.line, "`destinations` and `pii` must be lists of names (or `*`)")
                continue
            hashed = node.get("hashed")
            if hashed is not None and not isinstance(hashed, bool):
                self.error(node.line_of("hashed"), "`hashed` must be true or false")
                continue
            result.append(PolicyEntry(rule if isinstance(rule, str) else None, verdict,
                                      frozenset(dests), frozenset(pii), hashed,
                                      Origin(self.file, node.line)))
        return result

    # -- final ---------------------------------------------------------------------
    def finish(self) -> RuleSet:
        for name in self.shape_defs:
            if name not in self.shape_cache:
                label, _body, line = self.shape_defs[name]
                saved = self.file
                self.file = label
                self.named_shape(name, line, ())
                self.file = saved
        rules: dict[str, PolicyRule] = {
            k: v for k, v in self.entries["rules"].items() if k not in self.disabled
        }
        policy: list[PolicyEntry] = []
        for layer in reversed(self.policy_layers):
            policy.extend(e for e in layer if e.rule is None or e.rule not in self.disabled)
        for entry in policy:
            if entry.rule is not None and entry.rule not in rules:
                self.problems.append((entry.origin.file, entry.origin.line,
                                      f"policy entry names unknown rule {entry.rule!r}"))
        if self.problems:
            raise RulesetError(self.problems)

        def keep(section: str) -> list[Any]:
            return [v for k, v in self.entries[section].items() if k not in self.disabled]

        return RuleSet(
            sources=keep("sources"), sinks=keep("sinks"), sanitizers=keep("sanitizers"),
            propagators=keep("propagators"), decorators=keep("decorators"), hosts=self.hosts, rules=rules, policy=policy,
            unknown_calls=self.unknown_calls,
        )


def _str_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _close_match(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def build_ruleset(documents: list[tuple[str, Any]]) -> RuleSet:
    """Validate parsed YAML documents (label, data) in precedence order and merge them."""
    builder = _Builder()
    for label, doc in documents:
        builder.add_shapes(label, doc)
    for label, doc in documents:
        builder.add_document(label, doc)
    ruleset = builder.finish()
    ruleset.files = [label for label, _ in documents]
    return ruleset


def build_index(items: Iterable[Any]) -> PatternIndex:
    """Index entries (with a `patterns` attribute) by their call patterns."""
    index = PatternIndex()
    for item in items:
        for pattern in item.patterns:
            index.add(pattern, item)
    return index
