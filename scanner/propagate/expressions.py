"""Expression handlers: the abstract value of each kind of expression, that is, which
PII (with which shape), references and constant text it yields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import libcst as cst

from scanner.propagate.records import Arg, StarMarker
from scanner.propagate.scope import FrameState
from scanner.propagate.strings import concatenated, constant_strings, literal_text, percent_template
from scanner.propagate.values import (
    CLEAN,
    Value,
    build_container,
    element_refs,
    elements,
    flatten,
    get_index,
    get_key,
    item_of,
    join,
    wrap,
)
from scanner.resolve.refs import ExtRef, FuncRef
from scanner.rules.shapes import KEY_KEY, LIST_KEY
from scanner.rules.urls import HOLE


class ExpressionHandlers(FrameState):
    """Evaluates expressions (one handler per expression type)."""

    def ev(self, node: cst.BaseExpression) -> Value:
        """The abstract value of an expression; kinds without a handler (numbers,
        `None`, ...) carry nothing."""
        handler = _EXPRESSIONS.get(type(node))
        if handler is None:
            return CLEAN
        return handler(self, node)

    def ev_name(self, node: cst.Name) -> Value:
        """A name: its value in scope (`None`, `True`, `False` are clean)."""
        if node.value in ("None", "True", "False"):
            return CLEAN
        if self.tracks_lengths:
            self.note_name_use(node.value)
        return self.lookup(node.value)

    def ev_attribute(self, node: cst.Attribute) -> Value:
        """`x.name`: field `name` of x's PII, and/or the member of what x is; an
        attribute a source `reads` (`request.form`) is new PII."""
        return self.engine.attribute_read(self, node, self.engine.attribute(self.ev(node.value), node.attr.value))

    def ev_subscript(self, node: cst.Subscript) -> Value:
        """`x[k]`: field k of x's PII (a constant index or key keeps precision; a list
        of constant keys, `frame[["a", "b"]]`, keeps those fields; a dynamic key yields
        every field; a slice keeps x's PII), and the functions or objects x holds (a
        dispatch table)."""
        base = self.ev(node.value)
        return item_of(base, self._subscript(node, base))

    def _subscript(self, node: cst.Subscript, base: Value) -> Value:
        if len(node.slice) != 1:
            return get_index(base, None)
        sl = node.slice[0].slice
        if not isinstance(sl, cst.Index):
            return base.only_facts()
        key = self.ev(sl.value)
        if not base.facts:
            return CLEAN
        if isinstance(sl.value, cst.Integer):
            return get_index(base, int(sl.value.value, 0))
        if isinstance(sl.value, cst.UnaryOperation) and isinstance(sl.value.expression, cst.Integer):
            return get_index(base, None)
        if key.const is not None and HOLE not in key.const:
            return get_key(base, key.const)
        names = constant_strings(sl.value)
        if names is not None:
            return base.map_shapes(lambda shape: shape.select(names))
        return get_key(base, None)

    def ev_concatenated(self, node: cst.ConcatenatedString) -> Value:
        """Implicit concatenation (`"a" f"{x}"`): the parts' PII as text, and their text."""
        left = self.ev(node.left)
        right = self.ev(node.right)
        const = concatenated(left.const, right.const)
        return Value(flatten(join([left.only_facts(), right.only_facts()])).facts, const=const)

    def ev_string(self, node: cst.SimpleString) -> Value:
        """A string literal: clean, with its text as the constant."""
        fast = literal_text(node.value)
        if fast is not None:
            return Value(const=fast)
        try:
            text = node.evaluated_value
        except Exception:  # noqa: BLE001 - malformed escapes in hostile input
            return CLEAN
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        return Value(const=text) if isinstance(text, str) else CLEAN

    def ev_fstring(self, node: cst.FormattedString) -> Value:
        """An f-string: the PII of every field as text (an instance through `__str__`,
        or all its fields); constant text where fields are."""
        parts: list[Value] = []
        text: list[str] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                text.append(part.value)
            elif isinstance(part, cst.FormattedStringExpression):
                value = self.engine.as_text(self, self.ev(part.expression), part)
                if part.format_spec:
                    for spec in part.format_spec:
                        if isinstance(spec, cst.FormattedStringExpression):
                            self.ev(spec.expression)
                parts.append(value)
                text.append(value.const if value.const is not None and part.conversion is None
                            and not part.format_spec else HOLE)
        return Value(flatten(join(parts)).facts, const="".join(text))

    def ev_collection(self, node: cst.List | cst.Tuple | cst.Set) -> Value:
        """A list, tuple or set display: each element's PII at its position (and, for
        lists and sets, under `[]`); a `*spread` adds its elements under `[]`; an
        instance of a project class brings its fields."""
        items: list[tuple[str | None, Value]] = []
        for i, el in enumerate(node.elements):
            if isinstance(el, cst.StarredElement):
                items.append((LIST_KEY, elements(self.ev(el.value))))
            else:
                items.append((str(i), self.engine.instance_facts(self.ev(el.value))))
        return build_container(items, list_like=not isinstance(node, cst.Tuple))

    def ev_dict(self, node: cst.Dict) -> Value:
        """A dict display: each value's PII under its constant key (`*` if dynamic); PII
        in keys is kept, as text, as the mapping's keys; `**spread` keeps the spread's
        fields."""
        items: list[tuple[str | None, Value]] = []
        spread: list[Value] = []
        for el in node.elements:
            if not isinstance(el, cst.DictElement):
                spread.append(self.ev(el.value).only_facts())
                continue
            key = self.ev(el.key)
            value = self.engine.instance_facts(self.ev(el.value))
            k = key.const if key.const is not None and HOLE not in key.const else None
            items.append((k, value))
            if key.facts:
                items.append((KEY_KEY, flatten(key)))
        return join([build_container(items, list_like=False)] + spread)

    def ev_comprehension(self, node: cst.BaseComp) -> Value:
        """A comprehension or generator: the element's PII under `[]` (a dict
        comprehension: values under their key, PII in keys as its keys); its names stay local."""
        saved = self.env
        self.env = dict(saved)
        try:
            self._comp_for(node.for_in)
            if isinstance(node, cst.DictComp):
                key = self.ev(node.key)
                value = self.ev(node.value)
                k = key.const if key.const is not None and HOLE not in key.const else None
                items = [(k, value)] + ([(KEY_KEY, flatten(key))] if key.facts else [])
                return build_container(items, list_like=False)
            assert isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp))
            element = self.ev(node.elt)
            return wrap(element, LIST_KEY)
        finally:
            self.env = saved

    def _comp_for(self, comp: cst.CompFor) -> None:
        source = self.ev(comp.iter)
        self.assign(comp.target, Value(elements(source).facts, element_refs(source.refs)), comp)
        for cond in comp.ifs:
            self.ev(cond.test)
        if comp.inner_for_in is not None:
            self._comp_for(comp.inner_for_in)

    def ev_binary(self, node: cst.BinaryOperation) -> Value:
        """`a + b` keeps both sides' PII (string text joins); `fmt % args` gives the
        args' PII as text; other operators flatten PII to text."""
        left = self.ev(node.left)
        right = self.ev(node.right)
        op = node.operator
        if isinstance(op, cst.Add):
            const = concatenated(left.const, right.const)
            merged = join([left.only_facts(), right.only_facts()])
            return Value(merged.facts, const=const)
        if isinstance(op, cst.Modulo) and left.const is not None:
            right = self.engine.as_text(self, right, node)
            return Value(flatten(join([left, right])).facts, const=percent_template(left.const))
        return flatten(join([left, right]))

    def ev_boolean(self, node: cst.BooleanOperation) -> Value:
        """`a or b`, `a and b`: either side."""
        return join([self.ev(node.left), self.ev(node.right)])

    def ev_compare(self, node: cst.Comparison) -> Value:
        """A comparison is a boolean: clean (its operands are still evaluated)."""
        self.ev(node.left)
        for c in node.comparisons:
            self.ev(c.comparator)
        return CLEAN

    def ev_unary(self, node: cst.UnaryOperation) -> Value:
        """`not x` is clean; `-x`, `~x` keep x's PII."""
        value = self.ev(node.expression)
        return CLEAN if isinstance(node.operator, cst.Not) else value.only_facts()

    def ev_ifexp(self, node: cst.IfExp) -> Value:
        """`a if test else b`: either branch."""
        self.ev(node.test)
        return join([self.ev(node.body), self.ev(node.orelse)])

    def ev_lambda(self, node: cst.Lambda) -> Value:
        """A lambda: a function closing over this frame (its body runs when called)."""
        info = self.func.nested.get(node)
        if info is None:
            return CLEAN
        return Value(refs=[FuncRef(info, self)])

    def ev_await(self, node: cst.Await) -> Value:
        """`await x` is x."""
        return self.ev(node.expression)

    def ev_yield(self, node: cst.Yield) -> Value:
        """`yield v` adds v's PII to the generator's elements (`yield from xs`: xs's
        elements); the expression's own value (what `send` passes in) is clean."""
        if isinstance(node.value, cst.From):
            self.yields.append(elements(self.ev(node.value.item)))
        elif node.value is not None:
            self.yields.append(self.ev(node.value))
        return CLEAN

    def ev_named(self, node: cst.NamedExpr) -> Value:
        """`(x := v)` binds x and yields v."""
        value = self.ev(node.value)
        self.assign(node.target, value, node)
        return value

    def ev_starred(self, node: cst.StarredElement) -> Value:
        """`*x` outside a display or call is x."""
        return self.ev(node.value)

    def ev_call(self, node: cst.Call) -> Value:
        """A call: evaluate the callee (a method is looked up on its receiver) and the
        arguments, then let the engine decide (project code, or the rulesets)."""
        func = node.func
        receiver: Value | None = None
        receiver_node: cst.BaseExpression | None = None
        method: str | None = None
        if isinstance(func, cst.Attribute):
            receiver_node = func.value
            receiver = self.ev(func.value)
            method = func.attr.value
            callee = self.engine.attribute(receiver, method, for_call=True)
        else:
            callee = self.ev(func)
        args = []
        for a in node.args:
            star: StarMarker = a.star if isinstance(a.star, str) else ""
            keyword = a.keyword.value if a.keyword is not None else None
            args.append(Arg(keyword, star, self.ev(a.value), a.value))
        result = self.engine.call(self, node, callee, receiver, receiver_node, method, args)
        if method in self.engine.tracked_methods and isinstance(receiver_node, cst.Name) \
                and receiver_node.value in self.env and receiver is not None:
            # `conn.starttls()`: `conn` now had `starttls` called (a `never_called` condition).
            self.env[receiver_node.value] = Value(receiver.facts, [
                r.with_call(method) if isinstance(r, ExtRef) and method is not None else r
                for r in receiver.refs], receiver.const)
        if self.engine.never_returns(callee):
            self.dead = True  # `sys.exit()`, `abort(403)`: the path ends as after `raise`
        return result


_EXPRESSIONS: dict[type[cst.CSTNode], Callable[[ExpressionHandlers, Any], Value]] = {
    cst.Name: ExpressionHandlers.ev_name,
    cst.Attribute: ExpressionHandlers.ev_attribute,
    cst.Subscript: ExpressionHandlers.ev_subscript,
    cst.Call: ExpressionHandlers.ev_call,
    cst.SimpleString: ExpressionHandlers.ev_string,
    cst.ConcatenatedString: ExpressionHandlers.ev_concatenated,
    cst.FormattedString: ExpressionHandlers.ev_fstring,
    cst.List: ExpressionHandlers.ev_collection,
    cst.Tuple: ExpressionHandlers.ev_collection,
    cst.Set: ExpressionHandlers.ev_collection,
    cst.Dict: ExpressionHandlers.ev_dict,
    cst.ListComp: ExpressionHandlers.ev_comprehension,
    cst.SetComp: ExpressionHandlers.ev_comprehension,
    cst.GeneratorExp: ExpressionHandlers.ev_comprehension,
    cst.DictComp: ExpressionHandlers.ev_comprehension,
    cst.BinaryOperation: ExpressionHandlers.ev_binary,
    cst.BooleanOperation: ExpressionHandlers.ev_boolean,
    cst.Comparison: ExpressionHandlers.ev_compare,
    cst.UnaryOperation: ExpressionHandlers.ev_unary,
    cst.IfExp: ExpressionHandlers.ev_ifexp,
    cst.Lambda: ExpressionHandlers.ev_lambda,
    cst.Await: ExpressionHandlers.ev_await,
    cst.Yield: ExpressionHandlers.ev_yield,
    cst.NamedExpr: ExpressionHandlers.ev_named,
    cst.StarredElement: ExpressionHandlers.ev_starred,
}
