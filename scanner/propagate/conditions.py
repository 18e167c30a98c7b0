"""Conditions on a call (`when:` of a sink): whether an argument is passed, is a given
constant, names a given object, has a URL scheme, or whether the receiver never had a
method called. A condition holds only when the call's constants prove it: an argument
whose value is not known fails every test but `present: true`."""

from __future__ import annotations

import libcst as cst

from scanner.propagate.arguments import given, is_given
from scanner.propagate.records import Arg
from scanner.propagate.values import Value
from scanner.resolve.refs import ExtRef
from scanner.rules.schema import Condition
from scanner.rules.urls import HOLE

UNKNOWN = object()
"""A constant that could not be read from the code."""


def all_hold(conditions: tuple[Condition, ...], args: list[Arg], receiver: Value | None) -> bool:
    """Whether every condition holds for a call with `args` on `receiver`."""
    return all(holds(c, args, receiver) for c in conditions)


def holds(condition: Condition, args: list[Arg], receiver: Value | None) -> bool:
    """Whether one condition holds (see the module docstring)."""
    if condition.arg.receiver:
        return _receiver_holds(condition, receiver)
    arg = given(args, condition.arg)
    if condition.key is None:
        if arg is None:
            return condition.present is False and not is_given(args, condition.arg)
        return _value_holds(condition, arg.value, arg.node)
    if arg is None:  # the mapping is not passed, so neither is its key
        return condition.present is False and not is_given(args, condition.arg)
    entry = _dict_entry(arg.node, condition.key)
    if entry is UNKNOWN:
        return False
    if entry is None:
        return condition.present is False
    assert isinstance(entry, cst.BaseExpression)
    return _value_holds(condition, None, entry)


def _receiver_holds(condition: Condition, receiver: Value | None) -> bool:
    """`never_called` (and the other tests, on the receiver's value)."""
    if receiver is None:
        return False
    if condition.never_called:
        objects = [r for r in receiver.refs if isinstance(r, ExtRef)]
        if not any(not (r.called_methods & set(condition.never_called)) for r in objects):
            return False
    if condition.equals or condition.scheme or condition.is_any or condition.is_none_of:
        return _value_holds(condition, receiver, None)
    return condition.present is not False


def _value_holds(condition: Condition, value: Value | None, node: cst.CSTNode | None) -> bool:
    """The tests on a passed argument (`value` when known, else its expression `node`)."""
    if condition.present is False:
        return False
    if condition.equals and not any(_same(_constant(value, node), v) for v in condition.equals):
        return False
    if condition.scheme:
        text = _constant(value, node)
        if not isinstance(text, str) or "://" not in text:
            return False
        scheme = text.split("://", 1)[0]
        if HOLE in scheme or scheme.lower() not in condition.scheme:
            return False
    if condition.is_any or condition.is_none_of:
        paths = [r.path for r in (value.refs if value is not None else ())  # names, not call results
                 if isinstance(r, ExtRef) and r.path and not r.path[-1].called]
        if not paths:
            return False
        if condition.is_any and not any(p.matches(path) for p in condition.is_any for path in paths):
            return False
        if any(p.matches(path) for p in condition.is_none_of for path in paths):
            return False
    return True


def _same(found: object, wanted: object) -> bool:
    """Constant equality that keeps `True` apart from `1` and `False` from `0`."""
    return found is not UNKNOWN and type(found) is type(wanted) and found == wanted


def _constant(value: Value | None, node: cst.CSTNode | None) -> object:
    """The constant an argument is: a literal (`True`, `None`, `3`, `"x"`), or text the
    engine built from constants; UNKNOWN otherwise."""
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, (cst.Integer, cst.Float)):
        try:
            return node.evaluated_value
        except ValueError:
            return UNKNOWN
    if value is not None and value.const is not None:
        return value.const
    if isinstance(node, cst.SimpleString):
        evaluated = node.evaluated_value
        return evaluated if isinstance(evaluated, str) else UNKNOWN
    return UNKNOWN


def _dict_entry(node: cst.CSTNode, key: str) -> cst.BaseExpression | None | object:
    """The value under constant `key` in a dict display or `dict(k=v)` call (None: the
    key is certainly not there; UNKNOWN: the mapping cannot be read)."""
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                return UNKNOWN  # `**other` may hold the key
            if isinstance(element.key, cst.SimpleString):
                if element.key.evaluated_value == key:
                    return element.value
            else:
                return UNKNOWN
        return None
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        for arg in node.args:
            if arg.star or arg.keyword is None:
                return UNKNOWN
            if arg.keyword.value == key:
                return arg.value
        return None
    return UNKNOWN
