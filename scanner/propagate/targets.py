"""Assignment-target handlers: where a value goes when it is assigned, unpacked, stored
into a container or set as an attribute."""

from __future__ import annotations

import libcst as cst

from scanner.propagate.records import field_key, global_key
from scanner.propagate.scope import FrameState
from scanner.propagate.values import CLEAN, Step, Value, flatten, get_index, item_of, join, wrap
from scanner.resolve.refs import ClassRef, InstanceRef, ModuleRef
from scanner.rules.shapes import KEY_KEY, LIST_KEY
from scanner.rules.urls import HOLE


class TargetHandlers(FrameState):
    """Binds values to assignment targets."""

    def assign(self, target: cst.BaseExpression, value: Value, stmt: cst.CSTNode,
               value_node: cst.BaseExpression | None = None) -> None:
        """Bind `value` to an assignment target.

        A name takes the value; `a, b = x` gives each name its element of x (a literal
        on the right is matched element by element, evaluated first as Python does; a
        starred name takes a list of the rest); an attribute or subscript target adds
        the value to the object or container (see `add_to`)."""
        if isinstance(target, cst.Name):
            self.bind(target.value, value, stmt)
            if self.tracks_lengths or isinstance(value_node, cst.List):
                self.start_length(target.value, len(value_node.elements) if isinstance(value_node, cst.List)
                                  and not any(isinstance(e, cst.StarredElement) for e in value_node.elements)
                                  else None)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elems = target.elements
            literal = value_node if isinstance(value_node, (cst.Tuple, cst.List)) else None
            if literal is not None and len(literal.elements) == len(elems) and not any(
                isinstance(e, cst.StarredElement) for e in list(elems) + list(literal.elements)
            ):
                values = [self.ev(src.value) for src in literal.elements]  # RHS first, as Python
                for el, src, val in zip(elems, literal.elements, values):
                    self.assign(el.value, val, stmt, src.value)
                return
            for i, el in enumerate(elems):
                if isinstance(el, cst.StarredElement):
                    self.assign(el.value, wrap(get_index(value, None), LIST_KEY), stmt)
                else:
                    self.assign(el.value, item_of(value, get_index(value, i)), stmt)
        elif isinstance(target, (cst.Attribute, cst.Subscript)):
            self.assignment_sink(target, value, stmt)
            self.add_to(target, value, stmt, replace=True)
        elif isinstance(target, cst.StarredElement):
            self.assign(target.value, value, stmt)

    def add_to(self, target: cst.BaseExpression, value: Value, stmt: cst.CSTNode,
               replace: bool = False) -> None:
        """Add `value` into the container or object that `target` denotes.

        `a.b[k] = v` and `a.b.append(v)` both make `a` carry `v` under the path
        `b -> k` (or `b -> []`); PII in a key `k` becomes the keys of that mapping;
        `self.x = v` also updates the attribute store of the
        class, so other methods see it. The root name is updated where it lives: this
        frame, an enclosing function's frame, or the module's globals in the store."""
        keys: list[str] = []
        key_values: list[Value] = []
        node = target
        while True:
            if isinstance(node, cst.Attribute):
                keys.insert(0, node.attr.value)
                key_values.insert(0, CLEAN)
                node = node.value
            elif isinstance(node, cst.Subscript):
                key_value = self.subscript_value(node)
                key_text = key_value.const if key_value.const is not None \
                    and HOLE not in key_value.const else None
                keys.insert(0, key_text or "*")
                key_values.insert(0, key_value)
                node = node.value
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                # `d.setdefault(k, []).append(v)`: the call returned a part of `d`.
                keys.insert(0, "*")
                key_values.insert(0, CLEAN)
                node = node.func.value
            else:
                break
        if not isinstance(node, cst.Name):
            self.ev(node)
            return
        if not replace and not value.facts and not any(kv.facts for kv in key_values):
            return
        root_name = node.value
        root = self.lookup(root_name)
        label = _expr_text(target)
        step = Step(self.path, stmt, f"stored in `{label}`" if replace else f"added to `{label}`")
        value = value.with_step(step)
        wrapped = value
        for key in reversed(keys):
            wrapped = wrap(wrapped, key)
        # PII used as a key (`counts[email] += 1`) becomes the keys of that mapping.
        for depth, key_value in enumerate(key_values):
            if key_value.facts:
                as_key = wrap(flatten(key_value).with_step(step), KEY_KEY)
                for key in reversed(keys[:depth]):
                    as_key = wrap(as_key, key)
                wrapped = join([wrapped, as_key])
        if keys:
            rest = value
            for key in reversed(keys[1:]):
                rest = wrap(rest, key)
            self._store_member(root, keys[0], rest)
        if not wrapped.facts:
            return
        if self.is_module or root_name in self.func.global_names:
            self.engine.store_write(global_key(self.func.module.name, root_name), wrapped, self.ctx)
            if self.is_module:
                self.env[root_name] = join([root, wrapped])
            return
        if root_name in self.func.nonlocal_names or root_name not in self.func.assigned:
            owner = self.enclosing_owner(root_name)
            if owner is not None:
                owner.env[root_name] = join([owner.env.get(root_name, CLEAN), wrapped])
            elif root_name not in self.func.assigned:
                self.engine.store_write(global_key(self.func.module.name, root_name), wrapped, self.ctx)
            return
        self.env[root_name] = join([root, wrapped])

    def assignment_sink(self, target: cst.Attribute | cst.Subscript, value: Value,
                        stmt: cst.CSTNode) -> None:
        """`obj[key] = value` / `obj.name = value` where a sink names obj's items (or that
        attribute): the value's PII (and, for an item, the key's) reaches it."""
        key = self.subscript_value(target) if isinstance(target, cst.Subscript) else CLEAN
        if not (value.facts or key.facts or any(isinstance(r, InstanceRef) for r in value.refs)):
            return
        attribute = target.attr.value if isinstance(target, cst.Attribute) else None
        data = join([value, flatten(key)]) if key.facts else value
        self.engine.assigned(self, stmt, self.ev(target.value), attribute, data)

    def _store_member(self, root: Value, name: str, value: Value) -> None:
        """`obj.name = value` where `obj` is an instance, class or module of the project."""
        for ref in root.refs:
            if isinstance(ref, (InstanceRef, ClassRef)):
                self.engine.store_write(field_key(ref.cls.qualname, name), value, self.ctx)
                self.engine.note_field(ref.cls, name)
            elif isinstance(ref, ModuleRef):
                self.engine.store_write(global_key(ref.module.name, name), value, self.ctx)

    def subscript_value(self, node: cst.Subscript) -> Value:
        """The value of the key in `x[key]` (clean for slices and tuples of keys)."""
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return CLEAN
        return self.ev(node.slice[0].slice.value)


_CODEGEN = cst.Module(body=[])
"""An empty module, only used to print nodes (`code_for_node` does not change it)."""


def _expr_text(node: cst.CSTNode) -> str:
    try:
        text = _CODEGEN.code_for_node(node)
    except Exception:  # noqa: BLE001
        return "?"
    return text if len(text) <= 60 else text[:57] + "..."
