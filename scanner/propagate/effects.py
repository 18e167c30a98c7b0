"""Propagator effects: how PII moves through a library call that a ruleset describes
with a `propagators:` entry (rulesets/README.md documents each effect)."""

from __future__ import annotations

import libcst as cst

from scanner.propagate import sql
from scanner.propagate.arguments import constant_path, given, is_given, numbered, pick, selected
from scanner.propagate.records import Arg, field_key, file_key, table_key
from scanner.propagate.services import Analysis, CallerFrame
from scanner.propagate.strings import constant_strings
from scanner.propagate.values import (
    CLEAN,
    Step,
    Value,
    build_container,
    elements,
    flatten,
    get_index,
    get_key,
    held,
    holding,
    item_of,
    join,
    wrap,
)
from scanner.resolve.refs import ClassRef, ExtRef, InstanceRef
from scanner.rules.schema import ArgSpec, PropagatorEffect, PropagatorRule
from scanner.rules.shapes import KEY_KEY, LIST_KEY, Shape, normalize_key
from scanner.rules.urls import HOLE


def apply_effect(engine: Analysis, frame: CallerFrame, node: cst.Call, rule: PropagatorRule,
                 receiver: Value | None, receiver_node: cst.BaseExpression | None,
                 args: list[Arg]) -> Value | None:
    """Apply a propagator rule's effect and return the call's result (None: the effect
    does not decide it, so the call counts as unknown code)."""
    effect = rule.effect
    source = selected(args, receiver, rule.sources)
    if effect is PropagatorEffect.TEXT:
        return flatten(engine.as_text(frame, source, node))
    source = engine.instance_facts(source)
    key_value = pick(args, receiver, rule.key) if rule.key is not None else None
    key = key_value.const if key_value is not None and key_value.const is not None \
        and HOLE not in key_value.const else None
    if effect is PropagatorEffect.RENAME:
        renaming = given(args, rule.key) if rule.key is not None else None
        names = _constant_mapping(renaming.node if renaming is not None else None)
        return Value(source.map_shapes(lambda shape: shape.renamed(names)).facts,
                     holding(held(source))) if names else Value(source.facts, holding(held(source)))
    if effect is PropagatorEffect.ASSIGN:
        assigned = [wrap(a.value, a.keyword) for a in args if a.keyword is not None]
        return Value(join([source, *assigned]).facts, holding(held(source)))
    if effect is PropagatorEffect.WRITER:
        return Value(refs=list(source.refs))
    if effect is PropagatorEffect.PRESERVE:
        return Value(source.facts, holding(held(source)))
    if effect is PropagatorEffect.FLATTEN:
        return flatten(source)
    if effect is PropagatorEffect.HASH:
        return flatten(source, hashed=True)
    if effect is PropagatorEffect.ELEMENTS:
        return item_of(source, elements(source))
    if effect is PropagatorEffect.WRAP_LIST:
        return wrap(source, LIST_KEY)
    if effect is PropagatorEffect.GET:
        if rule.key is not None and not is_given(args, rule.key):
            return item_of(source, elements(source))
        return item_of(source, get_key(source, key))
    if effect is PropagatorEffect.VALUES:
        return Value(get_key(source, None).facts, holding(held(source)))
    if effect is PropagatorEffect.ITEMS:
        pair_items: list[tuple[str | None, Value]] = [
            ("0", source.map_shapes(_mapping_keys)), ("1", item_of(source, get_key(source, None)))]
        pair = build_container(pair_items, list_like=False)
        return Value(wrap(pair, LIST_KEY).facts, holding(pair.refs))
    if effect is PropagatorEffect.KEYS:
        return source.map_shapes(Shape.keys)
    if effect is PropagatorEffect.MAPPING:
        return _mapping(args)
    if effect is PropagatorEffect.INSTANCES:
        models = [InstanceRef(r.cls) for r in source.refs if isinstance(r, ClassRef)]
        return Value(refs=holding(models)) if models else None
    if effect is PropagatorEffect.FILL:
        instances = [r for r in held(receiver or CLEAN) if isinstance(r, InstanceRef)]
        for ref in instances:
            for arg in args:
                if arg.keyword is not None and (arg.value.facts or arg.value.refs):
                    stored = arg.value.with_step(Step(frame.path, node, f"stored in `{ref.cls.name}.{arg.keyword}`"))
                    engine.store_write(field_key(ref.cls.qualname, arg.keyword), stored, frame.ctx)
                    engine.note_field(ref.cls, arg.keyword)
        return Value(refs=instances) if instances else None
    if effect is PropagatorEffect.SQL:
        return _sql(engine, frame, node, key_value, source, receiver_node)
    if effect is PropagatorEffect.TABLE:
        assert rule.key is not None
        return _table(source, given(args, rule.key))
    if effect is PropagatorEffect.LOAD:
        assert rule.key is not None
        kept = Value(source.facts, holding(held(source)))
        path = constant_path(pick(args, receiver, rule.key))
        if path is None:
            return kept
        stored = engine.store_read(file_key(path, rule.store))
        if not stored.facts:
            return kept
        return join([kept, stored.with_step(Step(frame.path, node, f"read back from {rule.store} `{path}`"))])
    if effect is PropagatorEffect.COUNT:
        return wrap(flatten(elements(source)), KEY_KEY)
    if effect is PropagatorEffect.ZIP:
        columns: list[tuple[str | None, Value]] = [
            (str(i), elements(a.value)) for i, a in enumerate(args) if not a.star]
        return wrap(build_container(columns, list_like=False), LIST_KEY)
    if effect in (PropagatorEffect.ADD_ELEMENT, PropagatorEffect.ADD_ALL, PropagatorEffect.SET_KEY):
        added = source
        if effect is PropagatorEffect.ADD_ELEMENT:
            position = frame.appended_position(receiver_node) \
                if rule.key is None and receiver_node is not None else None
            added = wrap(source, LIST_KEY if position is None else str(position))
        elif effect is PropagatorEffect.SET_KEY:
            added = wrap(source, key or "*")
        if effect is PropagatorEffect.SET_KEY and key_value is not None and key_value.facts:
            added = join([added, wrap(flatten(key_value), KEY_KEY)])
        if receiver_node is not None and (added.facts or isinstance(receiver_node, cst.Subscript)):
            frame.add_to(receiver_node, added, node)
        if effect is PropagatorEffect.SET_KEY:
            return join([get_key(receiver or CLEAN, key), source])
        return CLEAN
    if effect in (PropagatorEffect.INVOKE, PropagatorEffect.BIND):
        assert rule.callable is not None
        func = pick(args, receiver, rule.callable)
        if rule.callable.receiver:  # `task.delay(...)`: only a project function is run
            func = Value(refs=[r for r in func.refs if not isinstance(r, ExtRef)])
        if not func.refs:
            return None
        forwarded = _forwarded(args, receiver, rule.callable, rule.sources, node)
        result = engine.call(frame, node, func, None, None, None, forwarded)
        return Value(refs=func.refs) if effect is PropagatorEffect.BIND else result
    if effect is PropagatorEffect.TUPLE:
        positions: list[tuple[str | None, Value]] = []
        for position, arg in numbered(args):
            if arg.star == "*":
                positions.append((LIST_KEY, elements(arg.value)))
            elif not arg.star and arg.keyword is None:
                positions.append((str(position), arg.value))
        return build_container(positions, list_like=False)
    if effect is PropagatorEffect.APPLY:
        assert rule.callable is not None
        func = pick(args, receiver, rule.callable)
        item = elements(source)
        if not func.refs:
            return wrap(flatten(item), LIST_KEY)
        result = engine.call(frame, node, func, None, None, None, [Arg(None, "", item, node)])
        return wrap(result, LIST_KEY)
    return None


def _mapping_keys(shape: Shape) -> Shape | None:
    """The keys of a structured value (a leaf, such as text being enumerated, has none)."""
    return shape.keys() if shape.children else None


def _mapping(args: list[Arg]) -> Value:
    """`dict(...)`-like construction: keyword arguments under their names, `**m` and
    positional mappings as they are, a positional sequence of pairs as keys and values."""
    named: list[tuple[str | None, Value]] = [
        (a.keyword, a.value) for a in args if a.keyword is not None and not a.star]
    parts = [build_container(named, list_like=False)]
    for arg in args:
        if arg.star == "**":
            parts.append(arg.value)
        elif arg.keyword is None and not arg.star:
            parts.append(_pairs_as_mapping(arg.value))
    return join(parts)


def _pairs_as_mapping(value: Value) -> Value:
    """A mapping as given, or a sequence of (key, value) pairs as a mapping whose keys
    carry the first items' PII and whose values the second items'."""
    pairs = elements(value)
    if not pairs.facts:
        return Value(value.facts, value.refs)
    keys = wrap(flatten(get_index(pairs, 0)), KEY_KEY)
    values = wrap(get_index(pairs, 1), "*")
    return join([keys, values])


def _forwarded(args: list[Arg], receiver: Value | None, callable_spec: ArgSpec,
               sources: tuple[ArgSpec, ...] | None, node: cst.CSTNode) -> list[Arg]:
    """The arguments a library passes on to the function it runs: each `from` argument
    spread as `*args`; without `from`, the arguments after the function (all of them
    when the function is the receiver), keywords other than the function's own."""
    if sources is not None:
        return [Arg(None, "*", pick(args, receiver, spec), node) for spec in sources]
    forwarded: list[Arg] = []
    for position, arg in numbered(args):
        if arg.keyword is not None:
            if arg.keyword != callable_spec.name:
                forwarded.append(arg)
        elif callable_spec.receiver or (callable_spec.position is not None and (
                position > callable_spec.position or (arg.star and position >= callable_spec.position))):
            forwarded.append(arg)
    return forwarded


EVERY_COLUMN = "<all>"


def _sql(engine: Analysis, frame: CallerFrame, node: cst.Call, statement: Value | None,
         params: Value, receiver_node: cst.BaseExpression | None) -> Value | None:
    """A SQL statement known from constants: an INSERT/UPDATE stores each parameter's PII
    under its table and column; a SELECT reads back what those columns hold (as rows,
    also put in the cursor it ran on). Other statements, or SQL not known, decide
    nothing (an ORM statement object passes through)."""
    text = statement.const if statement is not None else None
    if text is None:
        return Value(refs=holding(held(statement))) if statement is not None and held(statement) else None
    parsed = sql.parse(text)
    if isinstance(parsed, sql.Write):
        step = Step(frame.path, node, f"stored in table `{parsed.table}`")
        written = [(get_index(params, i), c) for i, c in enumerate(parsed.by_position)]
        written += [(get_key(params, name), c) for name, c in parsed.by_name]
        for value, column in written:
            stored = flatten(value).with_step(step)
            if stored.facts:
                engine.store_write(table_key(parsed.table, column), stored, frame.ctx)
                engine.store_write(table_key(parsed.table, EVERY_COLUMN), stored, frame.ctx)
        return CLEAN
    if not isinstance(parsed, sql.Read):
        return None
    anywhere = engine.store_read(table_key(parsed.table, sql.ALL_COLUMNS))
    cells: list[tuple[str | None, Value]] = []
    for position, column in enumerate(parsed.columns):
        if column == sql.ALL_COLUMNS:
            cells.append((None, join([engine.store_read(table_key(parsed.table, EVERY_COLUMN)), anywhere])))
            continue
        value = join([engine.store_read(table_key(parsed.table, column)), anywhere])
        cells += [(str(position), value), (column, value)]
    row = build_container(cells, list_like=False)
    if not row.facts:
        return CLEAN
    rows = wrap(row, LIST_KEY).with_step(Step(frame.path, node, f"read back from table `{parsed.table}`"))
    if receiver_node is not None:
        frame.add_to(receiver_node, rows, node)
    return rows


def _constant_mapping(node: object) -> dict[str, str]:
    """The string-to-string pairs of a dict display with constant keys and values."""
    names: dict[str, str] = {}
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString) \
                    and isinstance(element.value, cst.SimpleString):
                old, new = element.key.evaluated_value, element.value.evaluated_value
                if isinstance(old, str) and isinstance(new, str):
                    names[old] = new
    return names


def _table(rows: Value, columns: Arg | None) -> Value:
    """A table of `rows` with the column names of a constant list display (positional
    rows get them by position; records keep only those fields)."""
    kept = Value(rows.facts, holding(held(rows)))
    names = constant_strings(columns.node) if columns is not None and isinstance(
        columns.node, cst.BaseExpression) else None
    if not names:
        return kept
    positional = rows.map_shapes(lambda shape: _named_rows(shape, names) if _positional(shape) else None)
    records = rows.map_shapes(lambda shape: None if _positional(shape) else shape.select(names))
    return join([positional, records])


def _named_rows(table: Shape, names: list[str]) -> Shape | None:
    """A table of positional rows with each position under its column name (a position
    that held no PII stays clean)."""
    row = table.elements()
    if row is None:
        return None
    named = {normalize_key(n): row.children[str(i)] for i, n in enumerate(names) if str(i) in row.children}
    fields = Shape.make(named, row.kinds)
    return Shape.make({LIST_KEY: fields}) if fields is not None else None


def _positional(shape: Shape) -> bool:
    """Whether the rows of a table shape are sequences (indexed by position)."""
    row = shape.elements()
    return row is not None and any(key.isdigit() for key in row.children)
