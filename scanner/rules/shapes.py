"""Field-sensitive shapes: which key paths of a value carry which PII kinds.

A `Shape` is an immutable, interned tree. Children are keyed by *normalised* field names
(lower case, without `_`, `-` and spaces), so `BuyerEmail`, `buyerEmail`, `buyer_email`
and `buyer-email` all name the same field. Two keys are special:

* ``[]`` — the elements of a list (or the items of an iterable),
* ``*``  — any key (a mapping with dynamic keys),
* ``{}`` — the keys themselves, when they carry PII (`d[email] = n`).

A node may also name a ``via`` child: keys it does not know are looked up in that
child (an SDK response object whose attributes fall through to its payload).

A leaf is a node without children; its `kinds` are the PII kinds of that value. Any
access on a leaf yields the leaf again (a string's methods and parts keep its PII).
A value whose shape has no PII anywhere below it is not tainted at all.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping

LIST_KEY = "[]"
ANY_KEY = "*"
KEY_KEY = "{}"
"""The keys of a mapping, when they carry PII (`d[email] = ...`, `Counter(emails)`)."""
MAX_DEPTH = 12

_INTERNED: weakref.WeakValueDictionary[tuple[object, ...], Shape] = weakref.WeakValueDictionary()
"""Every live shape by structure. Weak: a shape lives only while a ruleset, a value or
a parent shape holds it, so nothing accumulates across scans. (A key holds the ids of
its children, which stay valid because the interned node keeps its children alive.)"""


def normalize_key(key: str) -> str:
    """The canonical spelling of a field name used for shape look-ups."""
    if key in (LIST_KEY, ANY_KEY, KEY_KEY):
        return key
    return key.lower().replace("_", "").replace("-", "").replace(" ", "")


class Shape:
    """An interned node of a PII shape tree (see the module docstring)."""

    __slots__ = ("__weakref__", "_merged", "all_kinds", "children", "depth", "kinds", "via")

    children: dict[str, Shape]
    kinds: frozenset[str]
    via: str | None
    all_kinds: frozenset[str]
    depth: int
    _merged: Shape | None

    def __init__(self) -> None:  # pragma: no cover - use Shape.make
        raise TypeError("use Shape.make() or Shape.leaf()")

    @staticmethod
    def make(
        children: Mapping[str, Shape | None] | None = None,
        kinds: Iterable[str] = (),
        via: str | None = None,
    ) -> Shape | None:
        """The interned node with these children and kinds, or None if it holds no PII."""
        kids = {k: v for k, v in (children or {}).items() if v is not None}
        own = frozenset(kinds)
        all_kinds = set(own)
        depth = 0
        for child in kids.values():
            all_kinds |= child.all_kinds
            depth = max(depth, child.depth + 1)
        if not all_kinds:
            return None
        if depth > MAX_DEPTH:
            return Shape.leaf(all_kinds)
        if via is not None and via not in kids:
            via = None
        key = (tuple(sorted((k, id(v)) for k, v in kids.items())), own, via)
        found = _INTERNED.get(key)
        if found is not None:
            return found
        node = object.__new__(Shape)
        node.children = kids
        node.kinds = own
        node.via = via
        node.all_kinds = frozenset(all_kinds)
        node.depth = depth
        node._merged = None
        _INTERNED[key] = node
        return node

    @staticmethod
    def leaf(kinds: Iterable[str]) -> Shape | None:
        """A leaf carrying `kinds` (None when `kinds` is empty)."""
        return Shape.make(None, kinds)

    @property
    def is_leaf(self) -> bool:
        """True when the node has no fields below it."""
        return not self.children

    def get(self, key: str) -> Shape | None:
        """The shape of field `key` of this value (constant key), or None if it has no PII."""
        if not self.children:
            return self
        return self._with_own(self._get(key))

    def _with_own(self, found: Shape | None) -> Shape | None:
        """A node that is itself PII (own kinds) passes those kinds to all its parts."""
        if not self.kinds:
            return found
        return union([found, Shape.leaf(self.kinds)])

    def _get(self, key: str) -> Shape | None:
        norm = normalize_key(key)
        child = self.children.get(norm)
        if child is not None:
            return child
        if ANY_KEY in self.children:
            return self.children[ANY_KEY]
        if self.via is not None:
            return self.children[self.via].get(key)
        if LIST_KEY in self.children:
            return self.children[LIST_KEY].get(key)
        return None

    def index(self, position: int | None) -> Shape | None:
        """The shape of element `position` (None: unknown index) of a list or tuple."""
        if not self.children:
            return self
        return self._with_own(self._index(position))

    def _index(self, position: int | None) -> Shape | None:
        if position is not None:
            child = self.children.get(str(position))
            if child is not None:
                return child
        if LIST_KEY in self.children:
            return self.children[LIST_KEY]
        if ANY_KEY in self.children:
            return self.children[ANY_KEY]
        if self.via is not None:
            return self.children[self.via].index(position)
        if position is None:
            return self.merged()
        # A tuple whose element `position` is absent holds no PII there.
        return None

    def elements(self) -> Shape | None:
        """The shape of what iterating over this value yields."""
        if not self.children:
            return self
        return self._with_own(self._elements())

    def _elements(self) -> Shape | None:
        if LIST_KEY in self.children:
            return self.children[LIST_KEY]
        if any(k.isdigit() for k in self.children):
            return self.merged()
        if KEY_KEY in self.children:
            return self.children[KEY_KEY]
        if self.via is not None:
            return self.children[self.via].elements()
        return None

    def merged(self) -> Shape | None:
        """The union of every field: what a dynamic key or `.values()` can yield (the
        mapping's keys are not among its values)."""
        if not self.children:
            return self
        if self._merged is None:
            self._merged = union(v for k, v in self.children.items() if k != KEY_KEY)
        return self._merged

    def keys(self) -> Shape | None:
        """What the keys of this mapping carry: PII stored as keys, and the mapping's own
        kinds (a leaf's parts are all the leaf)."""
        if not self.children:
            return self
        own = Shape.leaf(self.kinds) if self.kinds else None
        return union([self.children.get(KEY_KEY), own])

    def flatten(self) -> Shape | None:
        """A leaf with every PII kind found anywhere below this node."""
        if not self.children:
            return self
        return Shape.leaf(self.all_kinds)

    def select(self, keys: list[str]) -> Shape | None:
        """Only the fields `keys` of this value, kept under their names; for a sequence
        of records (a table), each record keeps only those fields."""
        if not self.children:
            return self
        if LIST_KEY in self.children and not any(normalize_key(k) in self.children for k in keys):
            rows = self.children[LIST_KEY].select(keys)
            return Shape.make({LIST_KEY: rows} if rows is not None else {}, self.kinds)
        fields = {normalize_key(k): found for k in keys if (found := self.get(k)) is not None}
        return Shape.make(fields, self.kinds)

    def renamed(self, names: dict[str, str]) -> Shape | None:
        """This value with fields renamed old -> new (for a sequence of records, the
        fields of each record); a field renamed over another one replaces it."""
        if not self.children:
            return self
        norm = {normalize_key(old): normalize_key(new) for old, new in names.items()}
        if LIST_KEY in self.children and not any(k in self.children for k in norm):
            rows = self.children[LIST_KEY].renamed(names)
            kept: dict[str, Shape | None] = {**self.children, LIST_KEY: rows}
            return Shape.make(kept, self.kinds, self.via)
        moved = {norm.get(k, k): v for k, v in self.children.items() if k not in norm}
        moved.update({norm[k]: v for k, v in self.children.items() if k in norm})
        return Shape.make(moved, self.kinds)

    def wrap(self, key: str) -> Shape | None:
        """A new node holding this one under field `key`."""
        return Shape.make({normalize_key(key): self})

    def without(self, kinds: frozenset[str]) -> Shape | None:
        """This shape with the PII `kinds` removed everywhere (None if nothing is left)."""
        if not self.all_kinds & kinds:
            return self
        children = {k: v.without(kinds) for k, v in self.children.items()}
        return Shape.make({k: v for k, v in children.items() if v is not None},
                          self.kinds - kinds, self.via)

    def describe(self) -> str:
        """A compact text form, for debugging and tests."""
        if not self.children:
            return "|".join(sorted(self.kinds))
        parts = [f"{k}:{v.describe()}" for k, v in sorted(self.children.items())]
        if self.kinds:
            parts.insert(0, "=" + "|".join(sorted(self.kinds)))
        return "{" + ",".join(parts) + "}"

    def __repr__(self) -> str:
        return f"Shape({self.describe()})"


def union(shapes: Iterable[Shape | None]) -> Shape | None:
    """The least shape that covers every given shape."""
    present = [s for s in shapes if s is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    first = present[0]
    if all(s is first for s in present):
        return first
    if any(not s.children for s in present):
        kinds: set[str] = set()
        for s in present:
            kinds |= s.all_kinds if not s.children else set()
        nested = [s for s in present if s.children]
        if not nested:
            return Shape.leaf(kinds)
        # A leaf and a structured value met: keep the structure, add the leaf kinds on top.
        merged = union(nested)
        assert merged is not None
        return Shape.make(merged.children, merged.kinds | kinds, merged.via)
    keys: dict[str, list[Shape]] = {}
    own: set[str] = set()
    via = None
    for s in present:
        own |= s.kinds
        via = via or s.via
        for k, v in s.children.items():
            keys.setdefault(k, []).append(v)
    return Shape.make({k: u for k, v in keys.items() if (u := union(v)) is not None}, own, via)
