"""The interfaces between the layers of the analysis, as protocols.

`Analysis` is what frames and call handlers ask of the engine (names, attributes,
calls, the store, findings); `CallerFrame` is what the engine and call handlers ask of
the frame a call is made from. Both are implemented above this module (by
`scanner.propagate.engine.Engine` and `scanner.propagate.frame.Frame`), so nothing
below the engine imports it."""

from __future__ import annotations

from typing import Protocol

import libcst as cst

from scanner.options import AnalysisLimits
from scanner.propagate.guards import GuardTable
from scanner.propagate.records import Arg, Context, SinkSite, StoreKey
from scanner.propagate.values import Fact, Value
from scanner.resolve.index import ClassInfo, FunctionInfo, ModuleInfo


class CallerFrame(Protocol):
    """The frame a call is evaluated in."""

    path: str
    """The root-relative path of the file being analysed."""
    ctx: Context
    """Where placeholder PII reaching sinks or the store is recorded for the caller."""

    def add_to(self, target: cst.BaseExpression, value: Value, stmt: cst.CSTNode,
               replace: bool = False) -> None:
        """Add `value` into the container or object the expression `target` denotes."""

    def note_raise(self, value: Value) -> None:
        """Record an exception value raised by the call."""

    def appended_position(self, receiver: cst.BaseExpression) -> int | None:
        """The position an element appended to `receiver` takes, if known."""


class Analysis(Protocol):
    """The engine's services."""

    limits: AnalysisLimits
    guards: GuardTable
    """The rulesets' guards (tests that validate a value on one branch)."""
    tracked_methods: frozenset[str]
    """Methods whose calls are recorded on their receiver (for `never_called` conditions)."""

    def never_returns(self, callee: Value) -> bool:
        """Whether calling `callee` ends the path (`settings: {no_return: [...]}`)."""

    def module_member(self, module: ModuleInfo, name: str) -> Value:
        """The value of module-level name `name` of `module` (or a builtin)."""

    def import_bindings(self, module: ModuleInfo, node: cst.Import | cst.ImportFrom) -> list[tuple[str, Value]]:
        """The names an import statement binds, with their values."""

    def attribute(self, base: Value, name: str, for_call: bool = False) -> Value:
        """The value of `base.name`."""

    def call(self, frame: CallerFrame, node: cst.Call, callee: Value, receiver: Value | None,
             receiver_node: cst.BaseExpression | None, method: str | None, args: list[Arg]) -> Value:
        """The result of calling `callee` (a method `method` of `receiver`, if any)."""

    def store_read(self, key: StoreKey) -> Value:
        """What the store holds under `key`."""

    def store_write(self, key: StoreKey, value: Value, ctx: Context) -> None:
        """Add `value` to a module global or class attribute."""

    def note_field(self, cls: ClassInfo, name: str) -> None:
        """Remember that instances of `cls` have attribute `name`."""

    def emit(self, fact: Fact, site: SinkSite, ctx: Context) -> None:
        """A fact reached a sink."""

    def inferred_call(self, frame: CallerFrame, node: cst.Call, method: str,
                      args: list[Arg]) -> Value | None:
        """A call of `method` on a receiver the analysis cannot see, as a call of the one
        project class that defines it (None when no class, or several, do)."""

    def attribute_read(self, frame: CallerFrame, node: cst.CSTNode, value: Value) -> Value:
        """`value`, read from an attribute at `node`, plus the PII a source says it holds."""

    def assigned(self, frame: CallerFrame, node: cst.CSTNode, receiver: Value,
                 attribute: str | None, data: Value) -> None:
        """`receiver[k] = v` (`attribute` None) or `receiver.attribute = v` at `node`:
        `data` reaches the sinks that name those items or that attribute."""

    def returned(self, frame: CallerFrame, func: FunctionInfo, node: cst.CSTNode, value: Value) -> None:
        """`return value` in `func`: its PII reaches the sinks that name `func`'s return."""

    def instance_facts(self, value: Value) -> Value:
        """`value` plus the PII held in the attributes of the project instances it is."""

    def as_text(self, frame: CallerFrame, value: Value, node: cst.CSTNode) -> Value:
        """`value` as it is formatted into a string (through `__str__` for instances)."""
