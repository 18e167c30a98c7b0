"""Unit tests for field-sensitive shapes and the value operations built on them."""

from __future__ import annotations

import libcst as cst

from scanner.propagate.values import (
    Fact,
    SourceOrigin,
    Value,
    build_container,
    elements,
    flatten,
    get_index,
    get_key,
    join,
    wrap,
)
from scanner.rules.shapes import Shape, normalize_key

ORDER = Shape.make({
    "buyerinfo": Shape.make({"buyeremail": Shape.leaf(["email"]), "buyername": Shape.leaf(["name"])}),
    "shippingaddress": Shape.make({"city": Shape.leaf(["locality"])}),
})
RESPONSE = Shape.make({"payload": Shape.make({"orders": Shape.make({"[]": ORDER})})}, via="payload")


def _value(shape: Shape | None, hashed: bool = False) -> Value:
    assert shape is not None
    origin = SourceOrigin("rule", "a.py", 1, cst.Name("x"))
    return Value.of_facts([Fact(origin, shape, hashed, ())])


def _kinds(value: Value) -> set[str]:
    return {k for f in value.facts.values() for k in f.shape.all_kinds}


def test_spellings_of_a_field_are_one_key() -> None:
    assert {normalize_key(k) for k in ("BuyerEmail", "buyerEmail", "buyer_email", "buyer-email")} == {"buyeremail"}


def test_constant_keys_are_field_sensitive() -> None:
    order = _value(ORDER)
    assert _kinds(get_key(get_key(order, "BuyerInfo"), "BuyerEmail")) == {"email"}
    assert get_key(order, "AmazonOrderId").facts == {}
    assert _kinds(order) == {"email", "name", "locality"}


def test_dynamic_key_yields_every_field() -> None:
    assert _kinds(get_key(_value(ORDER), None)) == {"email", "name", "locality"}


def test_response_attributes_fall_through_to_the_payload() -> None:
    response = _value(RESPONSE)
    via_attribute = elements(get_key(response, "Orders"))
    via_payload = elements(get_key(get_key(response, "payload"), "Orders"))
    assert _kinds(via_attribute) == _kinds(via_payload) == {"email", "name", "locality"}
    assert get_key(response, "next_token").facts == {}


def test_a_leaf_keeps_its_kinds_under_any_access() -> None:
    email = get_key(get_key(_value(ORDER), "BuyerInfo"), "BuyerEmail")
    assert _kinds(get_key(email, "value")) == {"email"}  # MWS `.value` leaves
    assert _kinds(get_index(email, 0)) == {"email"}


def test_tuples_are_positional_and_lists_are_not() -> None:
    email = get_key(get_key(_value(ORDER), "BuyerInfo"), "BuyerEmail")
    pair = build_container([("0", Value()), ("1", email)], list_like=False)
    assert get_index(pair, 0).facts == {} and _kinds(get_index(pair, 1)) == {"email"}
    listed = build_container([("0", Value()), ("1", email)], list_like=True)
    assert _kinds(get_index(listed, 5)) == {"email"}  # e.g. an element appended later


def test_flatten_and_hashing_keep_kinds() -> None:
    flat = flatten(_value(ORDER), hashed=True)
    fact = next(iter(flat.facts.values()))
    assert fact.hashed and fact.shape.is_leaf and fact.shape.all_kinds == {"email", "name", "locality"}


def test_wrapping_and_join() -> None:
    email = get_key(get_key(_value(ORDER), "BuyerInfo"), "BuyerEmail")
    record = wrap(email, "contact")
    assert _kinds(get_key(record, "contact")) == {"email"} and get_key(record, "other").facts == {}
    assert join([Value(const="a"), Value(const="a")]).const == "a"
    assert join([Value(const="a"), Value(const="b")]).const is None


def test_shapes_are_interned() -> None:
    assert Shape.leaf(["email"]) is Shape.leaf(["email"])
    assert Shape.make({"x": Shape.leaf(["name"])}) is Shape.make({"x": Shape.leaf(["name"])})
    assert Shape.make({"x": None}) is None  # no PII anywhere: not tainted at all
