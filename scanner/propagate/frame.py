"""Abstract interpretation of one function body (or module body, or lambda).

A `Frame` walks the libcst tree of one scope with the statement, assignment-target and
expression handlers, keeping an environment from local names to abstract `Value`s
(`scope.FrameState`). Calls, attribute look-ups on references and module-level names
are delegated to the engine through the `services.Analysis` protocol."""

from __future__ import annotations

import libcst as cst

from scanner.propagate.expressions import ExpressionHandlers
from scanner.propagate.statements import StatementHandlers
from scanner.propagate.targets import TargetHandlers
from scanner.propagate.values import Value, join, wrap
from scanner.rules.shapes import LIST_KEY


class Frame(StatementHandlers, TargetHandlers, ExpressionHandlers):
    """The abstract state of one scope while it is being analysed."""

    def run(self, params: dict[str, Value]) -> Value:
        """Analyse the body with `params` bound; return the abstract return value (a
        generator returns its yielded values as list elements too)."""
        self.env.update(params)
        if self.is_module:
            self.exec_block(self.func.module.parsed.module.body)
        else:
            body = self.func.node.body
            if isinstance(body, cst.BaseSuite):
                self.exec_suite(body)
            elif isinstance(body, cst.BaseExpression):
                self.returns.append(self.ev(body))  # a lambda's expression
        result = join(self.returns)
        if self.func.is_generator:
            result = join([result, wrap(join(self.yields), LIST_KEY)])
        return result
