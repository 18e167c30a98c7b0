"""Building a `RuleSet` from ruleset documents: each section validated entry by entry,
then everything merged in precedence order (see `loader`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scanner.model import Severity, SinkKind, Verdict
from scanner.rules.clauses import ClauseReader
from scanner.rules.document import RulesetError, str_list
from scanner.rules.patterns import CallPattern
from scanner.rules.schema import (
    CALLING_EFFECTS,
    MUTATING_EFFECTS,
    ArgSpec,
    DecoratorEffect,
    DecoratorRule,
    FunctionSelector,
    GuardRule,
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
from scanner.rules.shapes import Shape
from scanner.rules.yamlload import LineDict, LineList

TOP_LEVEL_KEYS = {
    "ruleset", "description", "shapes", "sources", "sinks", "sanitizers",
    "propagators", "decorators", "guards", "hosts", "settings", "rules", "policy", "disable",
}
UNKNOWN_CALL_MODES = ("propagate", "drop")
SECTIONS = ("sources", "sinks", "sanitizers", "propagators", "decorators", "guards", "rules")


class RulesetBuilder(ClauseReader):
    """Validates documents one by one and accumulates the merged rule set."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
        self.hosts: list[HostRule] = []
        self.policy_layers: list[list[PolicyEntry]] = []
        self.disabled: set[str] = set()
        self.unknown_calls = "propagate"
        self.buffers: list[CallPattern] = []
        self.no_return: list[CallPattern] = []

    def add_document(self, label: str, doc: Any) -> None:
        """Validate one document's sections, settings, hosts and policy, and merge them."""
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
            ("guards", self.parse_guard),
            ("rules", self.parse_rule),
        ):
            self.parse_list(doc, section, parse)
        settings = doc.get("settings")
        if settings is not None:
            if not isinstance(settings, LineDict):
                self.error(doc.line_of("settings"), "`settings` must be a mapping")
            else:
                self.check_keys(settings, {"unknown_calls", "buffers", "no_return"}, "settings")
                if "buffers" in settings:
                    self.buffers.extend(self.patterns(settings, "buffers"))
                if "no_return" in settings:
                    self.no_return.extend(self.patterns(settings, "no_return"))
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
        """Parse every entry of a list section; a later entry with the same id replaces an earlier one."""
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

    # -- sections ------------------------------------------------------------------
    def parse_source(self, node: LineDict) -> SourceRule | None:
        """A `sources:` entry: calls returning PII laid out as `returns` (optionally only for
        some URLs), attributes holding it when read (`reads`), or a parameter of the
        project functions a framework calls (`functions` with `parameter`)."""
        self.check_keys(node, {"id", "description", "calls", "reads", "functions", "parameter",
                               "returns", "url", "url_matches", "writes"},
                        "a source", ("id", "returns"))
        ident = self.entry_id(node)
        found, functions = self.targets(node, ("calls", "reads"), "a source")
        patterns, reads = found["calls"], found["reads"]
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
        self.only_with(node, ("url", "url_matches", "writes"), "calls")
        parameter = None
        if "parameter" in node:
            parameter = self.arg_spec(node["parameter"], node.line_of("parameter"))
            if parameter is not None and (parameter.receiver or parameter.index is not None):
                self.error(node.line_of("parameter"), "`parameter` is a position, a name or POSITION:NAME")
                parameter = None
        self.only_with(node, ("parameter",), "functions")
        if "functions" in node and "parameter" not in node:
            self.error(node.line_of("functions"), "a source with `functions` needs `parameter`: "
                                                  "the parameter that carries the PII")
        writes = self.source_writes(node)
        if ident is None or not (patterns or reads or functions) or shape is None:
            return None
        return SourceRule(ident, self.text(node, "description"), patterns, shape, url,
                          tuple(str(g) for g in globs), self.origin(node), writes, reads,
                          functions if parameter is not None else None, parameter)

    def targets(self, node: LineDict, pattern_keys: tuple[str, ...], what: str,
                ) -> tuple[dict[str, tuple[CallPattern, ...]], FunctionSelector | None]:
        """What an entry applies to: the patterns under each of `pattern_keys` (calls,
        attribute reads, assignments) and the project functions under `functions`; at
        least one of them must be given."""
        keys = (*pattern_keys, "functions")
        if not any(k in node for k in keys):
            self.error(node.line, f"{what} needs one of " + ", ".join(f"`{k}`" for k in keys))
        found = {k: self.patterns(node, k) if k in node else () for k in pattern_keys}
        functions = self.function_selector(node) if "functions" in node else None
        return found, functions

    def only_with(self, node: LineDict, keys: tuple[str, ...], needed: str) -> None:
        """Report each of `keys` given without `needed` (they describe a call)."""
        if needed in node:
            return
        for key in keys:
            if key in node:
                self.error(node.line_of(key), f"`{key}` applies to `{needed}` only")

    def source_writes(self, node: LineDict) -> tuple[ArgSpec, Shape] | None:
        """A source's `writes: {arg: SPEC, returns: SHAPE}`: PII written into an argument."""
        raw = node.get("writes")
        if raw is None:
            return None
        if not isinstance(raw, LineDict) or not self.check_keys(raw, {"arg", "returns"}, "`writes`",
                                                                  ("arg", "returns")):
            if not isinstance(raw, LineDict):
                self.error(node.line_of("writes"), "`writes` is a mapping: {arg: SPEC, returns: SHAPE}")
            return None
        spec = self.arg_spec(raw["arg"], raw.line_of("arg"))
        shape = self.shape(raw["returns"], raw.line_of("returns"))
        return (spec, shape) if spec is not None and shape is not None else None

    def parse_sink(self, node: LineDict) -> SinkRule | None:
        """A `sinks:` entry: calls whose `args` leave the app to a `destination` of a `kind`;
        or assignments to the items or attributes of matching objects; or the return
        value of the project functions a framework calls (`functions`)."""
        self.check_keys(node, {"id", "description", "calls", "item_assignments",
                               "attribute_assignments", "functions", "args", "kind",
                               "destination", "url", "stores", "returns", "when", "replaces",
                               "store"},
                        "a sink", ("id", "kind", "destination"))
        ident = self.entry_id(node)
        found, functions = self.targets(
            node, ("calls", "item_assignments", "attribute_assignments"), "a sink")
        patterns, items, attributes = (found["calls"], found["item_assignments"],
                                       found["attribute_assignments"])
        for pattern in attributes:
            if len(pattern.segments) < 2 and not pattern.any_receiver:
                self.error(node.line_of("attribute_assignments"),
                           f"{pattern.text!r} must name an object and an attribute: OBJECT.NAME")
        self.only_with(node, ("args", "url", "stores", "returns"), "calls")
        args = self.arg_specs(node, "args")
        url = self.arg_spec(node["url"], node.line_of("url")) if "url" in node else None
        kind = self.choice(node, "kind", SinkKind, "sink kind")
        destination = self.text(node, "destination")
        if ident is None or not (patterns or items or attributes or functions) or not kind \
                or not destination:
            return None
        stores = self.arg_spec(node["stores"], node.line_of("stores")) if "stores" in node else None
        returns = self.arg_specs(node, "returns") or ()
        return SinkRule(ident, self.text(node, "description"), patterns, args, kind, destination,
                        url, self.origin(node), stores, returns, self.conditions(node),
                        tuple(self.names(node, "replaces")), self.text(node, "store") or "file",
                        items, attributes, functions)

    def parse_sanitizer(self, node: LineDict) -> SanitizerRule | None:
        """A `sanitizers:` entry: calls whose result carries no PII (or, with `rules:` /
        `kinds:`, none of those kinds, or nothing those rules report)."""
        self.check_keys(node, {"id", "description", "calls", "rules", "kinds"}, "a sanitizer",
                        ("id", "calls"))
        ident = self.entry_id(node)
        patterns = self.patterns(node)
        clears = self.clearance(node)
        if ident is None or not patterns:
            return None
        return SanitizerRule(ident, self.text(node, "description"), patterns, self.origin(node), clears)

    def parse_propagator(self, node: LineDict) -> PropagatorRule | None:
        """A `propagators:` entry: how PII moves through a call (`effect`, with the arguments it needs)."""
        self.check_keys(node, {"id", "description", "calls", "effect", "from", "key", "callable",
                               "store"},
                        "a propagator", ("id", "calls", "effect"))
        ident = self.entry_id(node)
        patterns = self.patterns(node)
        effect = self.choice(node, "effect", PropagatorEffect, "effect")
        sources = self.arg_specs(node, "from")
        key = self.arg_spec(node["key"], node.line_of("key")) if "key" in node else None
        func = self.arg_spec(node["callable"], node.line_of("callable")) if "callable" in node else None
        if effect in (PropagatorEffect.GET, PropagatorEffect.SET_KEY, PropagatorEffect.SQL,
                      PropagatorEffect.LOAD, PropagatorEffect.TABLE) and key is None:
            self.error(node.line, f"effect {effect!r} needs `key`: the argument holding the key")
        if effect in CALLING_EFFECTS and func is None:
            self.error(node.line, f"effect {effect!r} needs `callable`: the argument holding the function")
        if effect in MUTATING_EFFECTS and sources is None:
            self.error(node.line, f"effect {effect!r} needs `from`: the arguments added to the receiver")
        if ident is None or not patterns or effect is None:
            return None
        return PropagatorRule(ident, self.text(node, "description"), patterns, effect, sources,
                              key, func, self.origin(node), self.text(node, "store") or "file")

    def parse_decorator(self, node: LineDict) -> DecoratorRule | None:
        """A `decorators:` entry: what a library decorator does to the function it wraps."""
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
        """A `rules:` entry: a reportable rule with its severity and documentation."""
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
        """The `hosts:` mapping of destination class -> host globs."""
        if not isinstance(hosts, LineDict):
            self.error(line, "`hosts` must map a destination class to a list of host globs")
            return
        for category, globs in hosts.items():
            cat_line = hosts.line_of(category)
            if not isinstance(globs, LineList) or not all(isinstance(g, str) for g in globs):
                self.error(cat_line, f"hosts of {category!r} must be a list of host globs")
                continue
            for index, glob in enumerate(globs):
                if ":" in glob or not glob.strip() or glob.startswith("/"):
                    self.error(globs.line_of(index), f"{glob!r} is not a host glob (HOST or HOST/PATH, "
                                                     "no scheme or port)")
                    continue
                self.hosts.append(HostRule(glob.lower(), str(category), Origin(self.file, globs.line_of(index))))

    def parse_policy(self, policy: Any, line: int) -> list[PolicyEntry]:
        """The `policy:` entries of one document, in order."""
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
            dests = str_list(node.get("destinations"))
            pii = str_list(node.get("pii", ["*"]))
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
        """Check cross-references, apply `disable:`, and return the merged rule set (or raise RulesetError)."""
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
        self.check_references(rules)
        if self.problems:
            raise RulesetError(self.problems)

        def keep(section: str) -> list[Any]:
            return [v for k, v in self.entries[section].items() if k not in self.disabled]

        return RuleSet(
            sources=keep("sources"), sinks=keep("sinks"), sanitizers=keep("sanitizers"),
            propagators=keep("propagators"), decorators=keep("decorators"), hosts=self.hosts, rules=rules, policy=policy,
            unknown_calls=self.unknown_calls, buffers=tuple(self.buffers),
            guards=keep("guards"), no_return=tuple(self.no_return),
        )

    def check_references(self, rules: dict[str, PolicyRule]) -> None:
        """Rules named by sanitizers and guards, and sinks named by `replaces:`, must exist."""
        clearing: list[SanitizerRule | GuardRule] = [*self.entries["sanitizers"].values(),
                                                     *self.entries["guards"].values()]
        for entry in clearing:
            for rule in sorted(entry.clears.rules - rules.keys()):
                self.problems.append((entry.origin.file, entry.origin.line,
                                      f"{entry.id!r} clears unknown rule {rule!r}"))
        for sink in self.entries["sinks"].values():
            for other in sink.replaces:
                if other not in self.entries["sinks"] or other == sink.id:
                    self.problems.append((sink.origin.file, sink.origin.line,
                                          f"sink {sink.id!r} replaces unknown sink {other!r}"))


def build_ruleset(documents: list[tuple[str, Any]]) -> RuleSet:
    """Validate parsed YAML documents (label, data) in precedence order and merge them."""
    builder = RulesetBuilder()
    for label, doc in documents:
        builder.add_shapes(label, doc)
    for label, doc in documents:
        builder.add_document(label, doc)
    ruleset = builder.finish()
    ruleset.files = [label for label, _ in documents]
    return ruleset
