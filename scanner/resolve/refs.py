"""References: what a name or value *is*, as far as calls are concerned.

An external name (`requests.post`, an `Orders()` instance), or a project module,
function, class, instance of a class, or method bound to one. Name resolution produces
them; the engine carries them in abstract values to decide what a call does."""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.resolve.index import ClassInfo, FunctionInfo, ModuleInfo
from scanner.rules.patterns import Ref, Segment

MAX_REF_LENGTH = 10
UNKNOWN_SEGMENT = Segment("?")
"""Stands for a receiver the engine could not resolve."""


@dataclass(frozen=True)
class ExtRef:
    """A name from outside the project (or one that could not be resolved)."""

    path: Ref
    called_methods: frozenset[str] = frozenset()
    """Methods called on this object so far, among those a ruleset's conditions ask
    about (`never_called`); attributes and results of calls start afresh."""

    def with_call(self, method: str) -> ExtRef:
        """This object after `method` was called on it."""
        return ExtRef(self.path, self.called_methods | {method})

    def attr(self, name: str) -> ExtRef:
        """The reference to attribute `name` of this one.

        Paths are capped: below an unresolved receiver (`?`) only the last name is kept,
        and very long chains collapse, so loops like `node = node.parent` converge."""
        if (self.path and self.path[0].name == "?") or len(self.path) >= MAX_REF_LENGTH or any(
            seg.name == name for seg in self.path[1:]
        ):
            return ExtRef((UNKNOWN_SEGMENT, Segment(name)))
        return ExtRef(self.path + (Segment(name),))


@dataclass(frozen=True)
class ModuleRef:
    """A module of the project."""

    module: ModuleInfo


@dataclass(frozen=True)
class FuncRef:
    """A project function; `closure` is the frame of the enclosing function, if any."""

    func: FunctionInfo
    closure: object | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class ClassRef:
    """A project class (the class object itself)."""

    cls: ClassInfo


@dataclass(frozen=True)
class InstanceRef:
    """An instance of a project class."""

    cls: ClassInfo


@dataclass(frozen=True)
class BoundMethod:
    """A project method bound to an instance (or class)."""

    func: FunctionInfo
    receiver_refs: frozenset[AnyRef]


@dataclass(frozen=True)
class Holds:
    """A container whose items are these references: a dispatch table of functions, a
    list of hooks or clients. Indexing or iterating it yields them."""

    refs: frozenset[AnyRef]


AnyRef = ExtRef | ModuleRef | FuncRef | ClassRef | InstanceRef | BoundMethod | Holds
