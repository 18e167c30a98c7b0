"""Argument matching, in one place: which argument of a call a ruleset's argument spec
names, whether it was given, the call's constant arguments, and how a call's arguments
bind to a project function's parameters (`*args`/`**kwargs` included).

Plain positional arguments are numbered from 0 in call order; a `*spread` stands at the
position it starts from and may fill any position from there on; a `**spread` may hold
any keyword."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.propagate.records import Arg
from scanner.propagate.values import (
    CLEAN,
    Value,
    build_container,
    elements,
    get_index,
    get_key,
    join,
)
from scanner.resolve.index import FunctionInfo
from scanner.resolve.refs import ExtRef
from scanner.rules.schema import ArgSpec
from scanner.rules.shapes import LIST_KEY
from scanner.rules.urls import HOLE


def numbered(args: list[Arg]) -> Iterator[tuple[int, Arg]]:
    """Each argument with the position it takes: its index among the plain positional
    arguments, or for a keyword or `*`/`**` spread, the number of positionals before it."""
    position = 0
    for arg in args:
        yield position, arg
        if not arg.star and arg.keyword is None:
            position += 1


def pick(args: list[Arg], receiver: Value | None, spec: ArgSpec) -> Value:
    """The value passed for `spec` (by position or keyword, spreads included), or the
    receiver for the `receiver` spec; with an index (`0[0]`), only that position of it."""
    value = _pick_whole(args, receiver, spec)
    return value if spec.index is None else get_index(value, spec.index)


def _pick_whole(args: list[Arg], receiver: Value | None, spec: ArgSpec) -> Value:
    if spec.receiver:
        return receiver or CLEAN
    found: list[Value] = []
    for position, arg in numbered(args):
        if arg.star == "*":
            if spec.position is not None and position <= spec.position:
                found.append(elements(arg.value))
        elif arg.star == "**":
            if spec.name:
                found.append(get_key(arg.value, spec.name))
        elif arg.keyword is None:
            if spec.position == position:
                found.append(arg.value)
        elif spec.name is not None and arg.keyword == spec.name:
            found.append(arg.value)
    return join(found)


def given(args: list[Arg], spec: ArgSpec) -> Arg | None:
    """The argument passed plainly (not spread) for `spec`, if any."""
    for position, arg in numbered(args):
        if arg.star:
            continue
        if (arg.keyword is None and spec.position == position) or (
                arg.keyword is not None and arg.keyword == spec.name):
            return arg
    return None


def constant_path(value: Value) -> str | None:
    """The file a value names: its constant text, or the first constant argument of the
    call that made it (`open("orders.csv", "w")`, `Path("orders.csv")`); None if unknown."""
    if value.const is not None:
        return _store_name(value.const)
    for ref in sorted(value.refs, key=repr):
        if isinstance(ref, ExtRef):
            for segment in reversed(ref.path):
                if segment.called:
                    path = dict(segment.args).get("0")
                    if path:
                        return path
                    break
    return None


def _store_name(text: str) -> str | None:
    """A constant path or key, with each part not known (`f"buyer:{oid}"`) as `*`, so
    writes and reads built from the same template meet; None when no letter or digit
    of it is known."""
    name = text.replace(HOLE, "*")
    return name if any(c.isalnum() for c in name.replace("*", "")) else None


def selected(args: list[Arg], receiver: Value | None, specs: tuple[ArgSpec, ...] | None) -> Value:
    """The join of the chosen arguments (every argument and the receiver when None)."""
    if specs is None:
        values = [elements(a.value) if a.star == "*" else a.value for a in args]
        if receiver is not None:
            values.append(receiver)
        return join(values)
    return join([pick(args, receiver, s) for s in specs])


def is_given(args: list[Arg], spec: ArgSpec) -> bool:
    """Whether the call may pass `spec` (any spread counts as maybe)."""
    for position, arg in numbered(args):
        if arg.star:
            return True
        if arg.keyword is None:
            if spec.position == position:
                return True
        elif arg.keyword == spec.name:
            return True
    return False


def constant_args(args: list[Arg]) -> tuple[tuple[str, str], ...]:
    """The fully constant string arguments, as (position or keyword, text) pairs."""
    consts: list[tuple[str, str]] = []
    for position, arg in numbered(args):
        const = arg.value.const
        if arg.star or const is None or HOLE in const:
            continue
        consts.append((str(position) if arg.keyword is None else arg.keyword, const))
    return tuple(consts)


def bind_parameters(func: FunctionInfo, self_value: Value | None, args: list[Arg]) -> dict[str, Value]:
    """Map call arguments onto the parameters of `func` (self/cls first for methods).

    A `*spread` may fill every positional parameter from where it stands; a `**spread`
    fills each named parameter not otherwise given with its field of that name; extra
    arguments land in the function's `*args` (a list) and `**kwargs` (a mapping)."""
    params = list(func.params)
    bound: dict[str, Value] = {}
    if func.kind in ("method", "classmethod") and params and self_value is not None:
        bound[params[0].name] = self_value
        params = params[1:]
    positional = [p for p in params if p.kind == "pos"]
    star = next((p for p in params if p.kind == "star"), None)
    starstar = next((p for p in params if p.kind == "starstar"), None)
    by_name = {p.name: p for p in params if p.kind in ("pos", "kw")}
    extra_pos: list[tuple[str | None, Value]] = []
    extra_kw: list[tuple[str | None, Value]] = []
    for position, arg in numbered(args):
        if arg.star == "*":
            spread = elements(arg.value)
            for p in positional[position:]:
                bound[p.name] = join([bound.get(p.name, CLEAN), spread])
            if star is not None:
                extra_pos.append((LIST_KEY, spread))
        elif arg.star == "**":
            for p in params:
                if p.kind in ("pos", "kw") and p.name not in bound:
                    bound[p.name] = get_key(arg.value, p.name)
            if starstar is not None:
                bound[starstar.name] = join([bound.get(starstar.name, CLEAN), arg.value])
        elif arg.keyword is not None:
            if arg.keyword in by_name:
                bound[arg.keyword] = arg.value
            else:
                extra_kw.append((arg.keyword, arg.value))
        elif position < len(positional):
            bound[positional[position].name] = arg.value
        else:
            extra_pos.append((str(len(extra_pos)), arg.value))
    if star is not None:
        bound[star.name] = join([bound.get(star.name, CLEAN), build_container(extra_pos, True)])
    if starstar is not None:
        bound[starstar.name] = join([bound.get(starstar.name, CLEAN),
                                     build_container(extra_kw, False)])
    return bound
