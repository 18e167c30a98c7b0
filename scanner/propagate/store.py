"""The global store: what the analysis has seen written to module globals and to the
attributes of project classes, anywhere in the project.

Entries only grow (values are joined). Each entry has a version for any change and one
for changes in its PII; the engine repeats a global pass while an entry changed after
it had first been read in that pass."""

from __future__ import annotations

from scanner.propagate.records import StoreKey
from scanner.propagate.values import CLEAN, ParamOrigin, Value, join


class AttributeStore:
    """Module globals and class attributes, with the versions the global fixpoint needs."""

    def __init__(self) -> None:
        self.values: dict[StoreKey, Value] = {}
        self._versions: dict[StoreKey, int] = {}
        self._first_read: dict[StoreKey, int] = {}
        self._fact_versions: dict[StoreKey, int] = {}
        self._first_fact_read: dict[StoreKey, int] = {}
        self._fields: dict[str, set[str]] = {}

    def begin_pass(self) -> None:
        """Forget which entries were read (a new global pass starts)."""
        self._first_read.clear()
        self._first_fact_read.clear()

    def read(self, key: StoreKey) -> Value:
        """The value stored under `key`, noting the version read."""
        version = self._versions.get(key, 0)
        if key not in self._first_read or self._first_read[key] > version:
            self._first_read[key] = version
        fact_version = self._fact_versions.get(key, 0)
        if key not in self._first_fact_read or self._first_fact_read[key] > fact_version:
            self._first_fact_read[key] = fact_version
        return self.values.get(key, CLEAN)

    def write(self, key: StoreKey, value: Value) -> Value | None:
        """Join the concrete part of `value` into entry `key`.

        Placeholder PII (a function's parameters inside its summary) is not stored: it
        is returned, for the summary to record as an effect its callers replay. A
        global keeps its constant text (a URL), and a later write that carries nothing
        does not erase it."""
        concrete = [f for f in value.facts.values() if not isinstance(f.origin, ParamOrigin)]
        placeholders = [f for f in value.facts.values() if isinstance(f.origin, ParamOrigin)]
        stored = Value.of_facts(concrete, value.refs)
        if value.const is not None and key.tag == "global":
            stored = Value(stored.facts, stored.refs, value.const)
        old = self.values.get(key)
        new = stored if old is None else join([old, stored])
        if old is not None and old.const is not None and stored.const is None \
                and not stored.facts and not stored.refs:
            new = old
        if old is None or new.signature() != old.signature():
            self.values[key] = new
            self._versions[key] = self._versions.get(key, 0) + 1
            if old is None or new.facts.keys() != old.facts.keys():
                self._fact_versions[key] = self._fact_versions.get(key, 0) + 1
        return Value.of_facts(placeholders) if placeholders else None

    def stale(self, facts_only: bool) -> bool:
        """Whether an entry changed after it was first read in this pass (`facts_only`:
        count only changes in its PII)."""
        versions = self._fact_versions if facts_only else self._versions
        reads = self._first_fact_read if facts_only else self._first_read
        return any(versions.get(k, 0) > v for k, v in reads.items())

    def note_field(self, cls_qualname: str, name: str) -> None:
        """Remember that instances of a class have attribute `name`."""
        self._fields.setdefault(cls_qualname, set()).add(name)

    def fields_of(self, cls_qualname: str) -> list[str]:
        """The attributes seen set on instances of a class, sorted."""
        return sorted(self._fields.get(cls_qualname, ()))
