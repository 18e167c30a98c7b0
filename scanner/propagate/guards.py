"""Guards: tests that validate a value (`if not re.fullmatch(P, s): abort()`,
`if "../" in p: return`, `if host not in ALLOWED: raise ...`), read from the rulesets'
`guards:` entries. This module finds, in an `if`/`assert` test, the local names a guard
validates and the truth value of the test on which each is safe; the statement
handlers clear those names on that branch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from scanner.rules.patterns import PatternIndex, Ref
from scanner.rules.schema import ArgSpec, Clearance, GuardRule

Resolver = Callable[[cst.BaseExpression], list[Ref]]
"""The references a callee expression resolves to (its last segment marked as called)."""
ConstOf = Callable[[cst.BaseExpression], "str | None"]
"""The constant text of an expression, if it is fully known."""


@dataclass(frozen=True)
class GuardHit:
    """A name a guard validates in a test: safe where the test's value is `safe`."""

    name: str
    safe: bool
    clears: Clearance
    guard_id: str


_OPERATORS: dict[type[cst.BaseCompOp], tuple[str, bool]] = {
    cst.In: ("in", False), cst.NotIn: ("in", True),
    cst.Equal: ("==", False), cst.NotEqual: ("==", True),
}
"""Comparison operator -> (guard operator, whether it is the negation)."""


class GuardTable:
    """The guards of a ruleset, indexed for look-up per test."""

    def __init__(self, guards: list[GuardRule]) -> None:
        self.calls = PatternIndex()
        self.operators: dict[str, list[GuardRule]] = {}
        for guard in guards:
            if guard.operator is not None:
                self.operators.setdefault(guard.operator, []).append(guard)
            for pattern in guard.patterns:
                self.calls.add(pattern, guard)
        self.empty = not guards

    def hits(self, test: cst.BaseExpression, resolve: Resolver, const_of: ConstOf) -> list[GuardHit]:
        """The names validated by `test` (`not`, `and`/`or` of guards included), each
        with the truth value of `test` on which it is safe."""
        if self.empty:
            return []
        return self._hits(test, resolve, const_of)

    def _hits(self, test: cst.BaseExpression, resolve: Resolver, const_of: ConstOf) -> list[GuardHit]:
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return [_flip(h) for h in self._hits(test.expression, resolve, const_of)]
        if isinstance(test, cst.BooleanOperation):
            # `a and b` true: both are true; `a or b` false: both are false.
            keep = isinstance(test.operator, cst.And)
            parts = self._hits(test.left, resolve, const_of) + self._hits(test.right, resolve, const_of)
            return [h for h in parts if h.safe == keep]
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            return self._comparison(test, const_of)
        if isinstance(test, cst.Call):
            return self._call(test, resolve)
        return []

    def _comparison(self, test: cst.Comparison, const_of: ConstOf) -> list[GuardHit]:
        """`A in B`, `A not in B`, `A == B`, `A != B` against the operator guards."""
        comparison = test.comparisons[0]
        found = _OPERATORS.get(type(comparison.operator))
        if found is None:
            return []
        operator, negated = found
        hits = []
        for guard in self.operators.get(operator, []):
            checked, other = (test.left, comparison.comparator) if guard.operand == "left" \
                else (comparison.comparator, test.left)
            if not isinstance(checked, cst.Name):
                continue
            if guard.other and const_of(other) not in guard.other:
                continue
            hits.append(GuardHit(checked.value, guard.safe != negated, guard.clears, guard.id))
        return hits

    def _call(self, test: cst.Call, resolve: Resolver) -> list[GuardHit]:
        """A call matching a call guard: the argument it validates, if a local name."""
        hits = []
        seen: set[str] = set()
        for ref in resolve(test.func):
            for _, guard in self.calls.lookup(ref):
                assert isinstance(guard, GuardRule) and guard.arg is not None
                if guard.id in seen:
                    continue
                seen.add(guard.id)
                checked = _argument(test, guard.arg)
                if isinstance(checked, cst.Name):
                    hits.append(GuardHit(checked.value, guard.safe, guard.clears, guard.id))
        return hits


def _flip(hit: GuardHit) -> GuardHit:
    return GuardHit(hit.name, not hit.safe, hit.clears, hit.guard_id)


def _argument(call: cst.Call, spec: ArgSpec) -> cst.BaseExpression | None:
    """The expression passed for `spec` in a call (the receiver of a method call)."""
    if spec.receiver:
        return call.func.value if isinstance(call.func, cst.Attribute) else None
    position = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if spec.position == position:
                return arg.value
            position += 1
        elif arg.keyword.value == spec.name:
            return arg.value
    return None
