"""Reading the clauses that refine ruleset entries: conditions on a call's arguments
(`when:` of a sink), what a sanitizer or guard clears (`rules:`, `kinds:`), and the
`guards:` section. Every problem is recorded with the file and line it is on."""

from __future__ import annotations

from typing import Any

from scanner.rules.document import DocumentReader, str_list
from scanner.rules.schema import EVERYTHING, ArgSpec, Clearance, Condition, GuardRule
from scanner.rules.yamlload import LineDict, LineList

CONDITION_TESTS = ("present", "equals", "is", "is_not", "scheme", "never_called")
CONDITION_KEYS = {"arg", "key", *CONDITION_TESTS}
GUARD_OPERATORS = ("in", "==")
GUARD_OPERANDS = ("left", "right")


class ClauseReader(DocumentReader):
    """Reads conditions, clearances and guards (see the module docstring)."""

    def conditions(self, node: LineDict, key: str = "when") -> tuple[Condition, ...]:
        """The `when:` list of an entry: each item one condition (all must hold)."""
        raw = node.get(key)
        if raw is None:
            return ()
        if isinstance(raw, LineDict):
            raw_list = LineList([raw])
            raw_list.item_lines = [raw.line]
            raw = raw_list
        if not isinstance(raw, LineList) or not raw:
            self.error(node.line_of(key), f"`{key}` must be a list of conditions, e.g. "
                                          "[{arg: verify, equals: false}]")
            return ()
        found = []
        for index, item in enumerate(raw):
            if not isinstance(item, LineDict):
                self.error(raw.line_of(index), f"each item of `{key}` is a mapping: {{arg: ..., TEST: ...}}")
                continue
            condition = self.condition(item)
            if condition is not None:
                found.append(condition)
        return tuple(found)

    def condition(self, node: LineDict) -> Condition | None:
        """One condition: the argument (`arg`, optional `key`) and one or more tests."""
        if not self.check_keys(node, CONDITION_KEYS, "a condition", ("arg",)):
            return None
        tests = [t for t in CONDITION_TESTS if t in node]
        if not tests:
            self.error(node.line, "a condition needs a test: one of " + ", ".join(CONDITION_TESTS))
            return None
        spec = self.arg_spec(node["arg"], node.line_of("arg"))
        if spec is None:
            return None
        key = node.get("key")
        if key is not None and (not isinstance(key, str) or not key):
            self.error(node.line_of("key"), "`key` must be a constant key (a string)")
            return None
        if key is not None and any(t in node for t in ("is", "is_not", "never_called")):
            self.error(node.line_of("key"), "`key` works with `present`, `equals` and `scheme` "
                                            "(the entry of a mapping written in the call)")
            return None
        present = node.get("present")
        if present is not None and not isinstance(present, bool):
            self.error(node.line_of("present"), "`present` must be true or false")
            return None
        equals = node.get("equals", [])
        if not isinstance(equals, list):
            equals = [equals]
        if not all(v is None or isinstance(v, (bool, int, float, str)) for v in equals):
            self.error(node.line_of("equals"), "`equals` takes constants: true, false, null, numbers, strings")
            return None
        schemes = self.names(node, "scheme")
        never = self.names(node, "never_called")
        if never and not spec.receiver:
            self.error(node.line_of("never_called"), "`never_called` tests the receiver: use `arg: receiver`")
            return None
        if any(not s.replace("+", "").replace("-", "").replace(".", "").isalnum() for s in schemes):
            self.error(node.line_of("scheme"), "a scheme is a word such as `http` (without `://`)")
            return None
        if any(not m.isidentifier() for m in never):
            self.error(node.line_of("never_called"), "`never_called` lists method names")
            return None
        return Condition(
            spec, self.origin(node), key, present, tuple(equals),
            self.patterns(node, "is") if "is" in node else (),
            self.patterns(node, "is_not") if "is_not" in node else (),
            tuple(s.lower() for s in schemes), tuple(never))

    def names(self, node: LineDict, key: str) -> list[str]:
        """A string or list of non-empty strings under `key` ([] when absent or bad)."""
        raw = node.get(key)
        if raw is None:
            return []
        values = str_list([raw] if isinstance(raw, str) else raw)
        if not values or not all(values):
            self.error(node.line_of(key), f"`{key}` must be a name or a list of names")
            return []
        return values

    def clearance(self, node: LineDict) -> Clearance:
        """What an entry clears: `rules:` (rule ids) and `kinds:` (PII kinds), each
        optional; neither means everything."""
        rules = self.names(node, "rules")
        kinds = self.names(node, "kinds")
        if not rules and not kinds:
            return EVERYTHING
        return Clearance(frozenset(rules), frozenset(kinds))

    def parse_guard(self, node: LineDict) -> GuardRule | None:
        """A `guards:` entry: a call or operator test, which value it validates, the
        branch (`safe: true|false`) on which that value is cleared, and what it clears."""
        self.check_keys(node, {"id", "description", "calls", "arg", "operator", "operand", "other",
                               "safe", "rules", "kinds"}, "a guard", ("id", "safe"))
        ident = self.entry_id(node)
        safe = node.get("safe")
        if "safe" in node and not isinstance(safe, bool):
            self.error(node.line_of("safe"), "`safe` must be true or false: the truth value of the "
                                             "test on the branch where the value is safe")
        patterns: tuple[Any, ...] = ()
        arg: ArgSpec | None = None
        operator = node.get("operator")
        operand = node.get("operand", "left")
        other: list[str] = []
        if ("calls" in node) == ("operator" in node):
            self.error(node.line, "a guard has either `calls` (with `arg`) or `operator` (with `operand`)")
            return None
        if "calls" in node:
            patterns = self.patterns(node)
            if "arg" not in node:
                self.error(node.line, "a call guard needs `arg`: the argument it validates (or `receiver`)")
                return None
            arg = self.arg_spec(node["arg"], node.line_of("arg"))
            for extra in ("operand", "other"):
                if extra in node:
                    self.error(node.line_of(extra), f"`{extra}` belongs to operator guards")
        else:
            if operator not in GUARD_OPERATORS:
                self.error(node.line_of("operator"), f"`operator` must be one of {', '.join(GUARD_OPERATORS)} "
                                                     "(`not in` and `!=` are their negations)")
                return None
            if operand not in GUARD_OPERANDS:
                self.error(node.line_of("operand"), "`operand` must be `left` or `right`: the side validated")
                return None
            if "arg" in node:
                self.error(node.line_of("arg"), "`arg` belongs to call guards")
            other = self.names(node, "other")
        if ident is None or not isinstance(safe, bool) or ("calls" in node and (not patterns or arg is None)):
            return None
        return GuardRule(ident, self.text(node, "description"), patterns, arg,
                         operator if isinstance(operator, str) else None, str(operand), tuple(other),
                         safe, self.clearance(node), self.origin(node))
