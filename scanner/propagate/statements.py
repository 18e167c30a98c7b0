"""Statement handlers: what each kind of statement does to the PII in a scope.

The analysis is flow-sensitive: an assignment replaces a name's value, branches of
`if`/`try`/`match` are joined where they meet, and loops run to a fixpoint."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import libcst as cst

from scanner.propagate.guards import GuardHit
from scanner.propagate.records import global_key
from scanner.propagate.scope import FrameState
from scanner.propagate.values import (
    Step,
    Value,
    clear,
    element_refs,
    elements,
    flatten,
    get_index,
    get_key,
    join,
)
from scanner.resolve.refs import ClassRef, ExtRef, FuncRef
from scanner.rules.patterns import Ref, Segment
from scanner.rules.urls import HOLE


class StatementHandlers(FrameState):
    """Runs statements (one handler per statement type)."""

    def exec_suite(self, suite: cst.BaseSuite) -> None:
        """Run an indented block or a one-line suite."""
        if isinstance(suite, cst.IndentedBlock):
            self.exec_block(suite.body)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                if self.dead:
                    return
                self.exec_small(small)

    def exec_block(self, stmts: Sequence[cst.BaseStatement]) -> None:
        """Run statements in order, up to one that leaves the block (code after
        `return`, `raise`, `break` or `continue` is unreachable and not analysed)."""
        for stmt in stmts:
            if self.dead:
                return
            self.exec_stmt(stmt)

    def exec_stmt(self, stmt: cst.BaseStatement) -> None:
        """Run one statement; statements without a handler do nothing to PII."""
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if self.dead:
                    return
                self.exec_small(small)
            return
        handler = _COMPOUND.get(type(stmt))
        if handler is not None:
            handler(self, stmt)

    def exec_small(self, node: cst.BaseSmallStatement) -> None:
        """Run one small statement; those without a handler (`pass`, `del`, ...) do nothing."""
        handler = _SMALL.get(type(node))
        if handler is not None:
            handler(self, node)

    # ---- simple statements ------------------------------------------------------------
    def exec_assign(self, node: cst.Assign) -> None:
        """`a = b = value`: the value (evaluated once, first) goes to every target."""
        value = self.ev(node.value)
        for target in node.targets:
            self.assign(target.target, value, node, node.value)

    def exec_ann_assign(self, node: cst.AnnAssign) -> None:
        """`x: T = value` is an assignment; a bare annotation does nothing."""
        if node.value is not None:
            self.assign(node.target, self.ev(node.value), node, node.value)

    def exec_aug_assign(self, node: cst.AugAssign) -> None:
        """`x += v` keeps the PII of both sides (`*=` and `-=` flatten it to text);
        `+=` on strings extends their constant text."""
        current = self.ev(node.target)
        value = self.ev(node.value)
        combined = join([current, value]) if not isinstance(
            node.operator, (cst.MultiplyAssign, cst.SubtractAssign)) else flatten(join([current, value]))
        if current.const is not None or value.const is not None:
            combined = Value(combined.facts, combined.refs,
                             (current.const or HOLE) + (value.const or HOLE)
                             if isinstance(node.operator, cst.AddAssign) else None)
        self.assign(node.target, combined, node)

    def exec_expr(self, node: cst.Expr) -> None:
        """An expression statement: evaluated for its effects (calls, sinks, mutation)."""
        self.ev(node.value)

    def exec_return(self, node: cst.Return) -> None:
        """`return v`: v's PII becomes part of the function's result (and reaches a sink
        when a ruleset says where this function's return value goes); the path ends."""
        if node.value is not None:
            value = self.ev(node.value)
            self.returns.append(value)
            if value.facts or value.refs:
                self.engine.returned(self, self.func, node, value)
        self.dead = True

    def exec_raise(self, node: cst.Raise) -> None:
        """`raise E(v)`: v's PII reaches `except ... as e` handlers and the caller; the
        path ends."""
        if node.exc is not None:
            self.note_raise(self.ev(node.exc).with_step(Step(self.path, node, "raised in an exception")))
        self.dead = True

    def exec_jump(self, node: cst.Break | cst.Continue) -> None:
        """`break`/`continue`: this pass of the loop body ends here; what it holds goes on
        after the loop (or to the next pass)."""
        self.jump()

    def exec_import(self, node: cst.Import | cst.ImportFrom) -> None:
        """An import binds names to what they resolve to (module-level: also stored)."""
        for name, value in self.engine.import_bindings(self.func.module, node):
            self.env[name] = value
            if self.is_module or name in self.func.global_names:
                self.engine.store_write(global_key(self.func.module.name, name), value, self.ctx)

    def exec_assert(self, node: cst.Assert) -> None:
        """`assert test`: the test is evaluated (for its calls); a value a guard in it
        validates is cleared after it (the test holds there)."""
        self.ev(node.test)
        self.apply_guards(self.guard_hits(node.test), True, node)

    # ---- guards -------------------------------------------------------------------------
    def guard_hits(self, test: cst.BaseExpression) -> list[GuardHit]:
        """The local names the rulesets' guards validate in `test` (see `guards`)."""
        return self.engine.guards.hits(test, self._guard_callee, self._guard_constant)

    def _guard_callee(self, func: cst.BaseExpression) -> list[Ref]:
        """What a guard-test callee resolves to, each marked as called (only names and
        attribute chains are evaluated again: they have no effects)."""
        if isinstance(func, cst.Attribute):
            if not _plain(func.value):
                return [(Segment("?"), Segment(func.attr.value, True))]
            callee = self.engine.attribute(self.ev(func.value), func.attr.value, for_call=True)
        elif isinstance(func, cst.Name):
            callee = self.ev(func)
        else:
            return []
        return [r.path[:-1] + (Segment(r.path[-1].name, True),)
                for r in callee.refs if isinstance(r, ExtRef) and r.path]

    def _guard_constant(self, node: cst.BaseExpression) -> str | None:
        """The constant text of a plain expression in a guard test (None if not known)."""
        if not _plain(node) and not isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            return None
        const = self.ev(node).const
        return const if const is not None and HOLE not in const else None

    def apply_guards(self, hits: list[GuardHit], truth: bool, node: cst.CSTNode) -> None:
        """On the branch where the test is `truth`, clear the names validated there."""
        for hit in hits:
            if hit.safe == truth and hit.name in self.env:
                step = Step(self.path, node, f"validated by guard `{hit.guard_id}`")
                self.env[hit.name] = clear(self.env[hit.name], hit.clears, step)

    def constant_truth(self, test: cst.BaseExpression) -> bool | None:
        """Whether a test is always true or always false, when constants say so:
        `True`/`False`/`None`, number literals, `not` of those, and `==`/`!=`/`in`
        between names or literals whose text is known in full; None otherwise."""
        if isinstance(test, cst.Name) and test.value in ("True", "False", "None"):
            return test.value == "True"
        if isinstance(test, cst.Integer):
            return int(test.value.replace("_", ""), 0) != 0
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self.constant_truth(test.expression)
            return None if inner is None else not inner
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            right = test.comparisons[0]
            if not all(isinstance(n, (cst.Name, cst.SimpleString))
                       for n in (test.left, right.comparator)):
                return None
            left_text, right_text = self.ev(test.left).const, self.ev(right.comparator).const
            if left_text is None or right_text is None or HOLE in left_text + right_text:
                return None
            if isinstance(right.operator, cst.Equal):
                return left_text == right_text
            if isinstance(right.operator, cst.NotEqual):
                return left_text != right_text
        return None

    # ---- compound statements ------------------------------------------------------------
    def exec_if(self, node: cst.If) -> None:
        """`if`/`elif`/`else`: each branch runs from the same state; the results join.
        A test known from constants (`if False:`, `if MODE == "x":` with a constant
        MODE) runs only its feasible side. A value a guard validates in the test is
        cleared on the branch where it is safe."""
        self.ev(node.test)
        truth = self.constant_truth(node.test)
        orelse = node.orelse
        hits = self.guard_hits(node.test) if truth is None else []

        def body() -> None:
            self.apply_guards(hits, True, node.test)
            self.exec_suite(node.body)

        def other() -> None:
            self.apply_guards(hits, False, node.test)
            if isinstance(orelse, cst.If):
                self.exec_if(orelse)
            elif isinstance(orelse, cst.Else):
                self.exec_suite(orelse.body)
        # With no `else`, the path that skips the body is the guards' false branch.
        others = [other] if orelse is not None or hits else []
        if truth is True:
            self.branch([body], include_entry=False)
        elif truth is False:
            self.branch(others, include_entry=not others)
        else:
            self.branch([body, *others], include_entry=not others)

    def exec_for(self, node: cst.For) -> None:
        """`for x in items`: x takes the elements of items; the body runs to a fixpoint."""
        items = elements(self.ev(node.iter))
        iter_refs = self.ev(node.iter).refs

        def body() -> None:
            self.assign(node.target, Value(items.facts, element_refs(iter_refs)), node)
            self.exec_suite(node.body)

        self.loop(body)
        if node.orelse is not None:
            self.exec_suite(node.orelse.body)

    def exec_while(self, node: cst.While) -> None:
        """`while test`: the test and body run to a fixpoint."""
        def body() -> None:
            self.ev(node.test)
            self.exec_suite(node.body)

        self.loop(body)
        if node.orelse is not None:
            self.exec_suite(node.orelse.body)

    def exec_try(self, node: cst.Try | cst.TryStar) -> None:
        """`try`: handlers start from the state before or after the body, and bind
        `except ... as e` to the PII raised in the body; every path joins, then `finally`."""
        entry = self.snapshot()
        self.push_try()
        self.exec_suite(node.body)
        caught = self.pop_try()
        after_body = self.snapshot()
        results = []
        if not self.dead and node.orelse is not None:
            self.exec_suite(node.orelse.body)
        if not self.dead:
            results.append(self.snapshot())
        start = self.join_envs([entry, after_body])
        for handler in node.handlers:
            self.env = dict(start)
            self.dead = False
            if handler.type is not None:
                self.ev(handler.type)
            if handler.name is not None and isinstance(handler.name.name, cst.Name):
                self.bind(handler.name.name.value, join(caught), handler)
            self.exec_suite(handler.body)
            if not self.dead:
                results.append(self.env)
        self.dead = not results
        self.env = self.join_envs(results) if results else start
        if node.finalbody is not None:
            ended = self.dead
            self.dead = False
            self.exec_suite(node.finalbody.body)
            self.dead = self.dead or ended

    def exec_with(self, node: cst.With) -> None:
        """`with cm as x`: x takes the value of cm (what `__enter__` returns is not modelled)."""
        for item in node.items:
            value = self.ev(item.item)
            if item.asname is not None:
                self.assign(item.asname.name, value, node)
        self.exec_suite(node.body)

    def exec_match(self, node: cst.Match) -> None:
        """`match`: each case binds its capture names to the matching part of the subject;
        the cases (and no case) join. With a constant subject, cases whose constant
        patterns differ from it are not taken, and a case sure to match ends the search."""
        subject = self.ev(node.subject)
        runners: list[Callable[[], None]] = []
        include_entry = True
        for case in node.cases:
            verdict = self._case_verdict(case, subject.const)
            if verdict is False:
                continue
            def run(case: cst.MatchCase = case) -> None:
                self.bind_pattern(case.pattern, subject, case)
                if case.guard is not None:
                    self.ev(case.guard)
                self.exec_suite(case.body)
            runners.append(run)
            if verdict is True and case.guard is None:
                include_entry = False
                break
        self.branch(runners, include_entry=include_entry)

    def _case_verdict(self, case: cst.MatchCase, subject: str | None) -> bool | None:
        """Whether a case's pattern surely matches (True), surely does not (False), or
        may (None): capture-all patterns always match; constant value patterns match a
        constant subject only when equal."""
        pattern = case.pattern
        if isinstance(pattern, cst.MatchAs) and pattern.pattern is None:
            return True
        values = [pattern] if isinstance(pattern, cst.MatchValue) else \
            [p.pattern for p in pattern.patterns] if isinstance(pattern, cst.MatchOr) else []
        if subject is None or not values or not all(isinstance(v, cst.MatchValue) for v in values):
            return None
        constants = [self.ev(v.value).const for v in values if isinstance(v, cst.MatchValue)]
        if HOLE in subject or any(c is None or HOLE in c for c in constants):
            return None
        return subject in constants

    def bind_pattern(self, pattern: cst.MatchPattern, subject: Value, node: cst.CSTNode) -> None:
        """Bind the capture names of a `case` pattern: mapping keys and keyword patterns
        take that field of the subject, sequence items that element."""
        if isinstance(pattern, cst.MatchAs):
            if pattern.name is not None:
                self.bind(pattern.name.value, subject, node)
            if pattern.pattern is not None:
                self.bind_pattern(pattern.pattern, subject, node)
        elif isinstance(pattern, cst.MatchMapping):
            for item in pattern.elements:
                key = self.ev(item.key).const
                self.bind_pattern(item.pattern, get_key(subject, key), node)
            if pattern.rest is not None:
                self.bind(pattern.rest.value, subject, node)
        elif isinstance(pattern, (cst.MatchSequence, cst.MatchList, cst.MatchTuple)):
            for i, element in enumerate(pattern.patterns):
                if isinstance(element, cst.MatchSequenceElement):
                    self.bind_pattern(element.value, get_index(subject, i), node)
                elif isinstance(element, cst.MatchStar) and element.name is not None:
                    self.bind(element.name.value, subject, node)
        elif isinstance(pattern, cst.MatchClass):
            for positional in pattern.patterns:
                self.bind_pattern(positional.value, subject, node)
            for kw in pattern.kwds:
                self.bind_pattern(kw.pattern, get_key(subject, kw.key.value), node)
        elif isinstance(pattern, cst.MatchOr):
            for alternative in pattern.patterns:
                self.bind_pattern(alternative.pattern, subject, node)

    def exec_def(self, node: cst.FunctionDef) -> None:
        """`def f`: binds f to the function (closing over this frame unless module-level)."""
        info = self.func.nested.get(node)
        if info is not None:
            closure = None if self.is_module else self
            self.env[node.name.value] = Value(refs=[FuncRef(info, closure)])

    def exec_class(self, node: cst.ClassDef) -> None:
        """`class C` inside a function: binds C to the class."""
        info = self.func.nested_classes.get(node)
        if info is not None:
            self.env[node.name.value] = Value(refs=[ClassRef(info)])


def _plain(node: cst.BaseExpression) -> bool:
    """A name or a chain of attributes of one (evaluating it again has no effects)."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


_SMALL: dict[type[cst.CSTNode], Callable[[StatementHandlers, Any], None]] = {
    cst.Assign: StatementHandlers.exec_assign,
    cst.Expr: StatementHandlers.exec_expr,
    cst.Return: StatementHandlers.exec_return,
    cst.AugAssign: StatementHandlers.exec_aug_assign,
    cst.AnnAssign: StatementHandlers.exec_ann_assign,
    cst.Raise: StatementHandlers.exec_raise,
    cst.Import: StatementHandlers.exec_import,
    cst.ImportFrom: StatementHandlers.exec_import,
    cst.Assert: StatementHandlers.exec_assert,
    cst.Break: StatementHandlers.exec_jump,
    cst.Continue: StatementHandlers.exec_jump,
}

_COMPOUND: dict[type[cst.CSTNode], Callable[[StatementHandlers, Any], None]] = {
    cst.If: StatementHandlers.exec_if,
    cst.For: StatementHandlers.exec_for,
    cst.While: StatementHandlers.exec_while,
    cst.Try: StatementHandlers.exec_try,
    cst.TryStar: StatementHandlers.exec_try,
    cst.With: StatementHandlers.exec_with,
    cst.Match: StatementHandlers.exec_match,
    cst.FunctionDef: StatementHandlers.exec_def,
    cst.ClassDef: StatementHandlers.exec_class,
}
