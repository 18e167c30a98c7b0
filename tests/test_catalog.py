"""Spot checks of the bundled catalog beyond the construct fixtures: reports parsed with
csv/pandas, the official SDK, raw HTTP sources, more sinks and permitted destinations."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.api import ScanOptions, run_scan

CASES = {
    "report_csv": ('''
import csv, io
from sp_api.api import Reports
doc = Reports().get_report_document("doc-1", download=True).payload["document"]
for row in csv.DictReader(io.StringIO(doc), delimiter="\\t"):
    print(row["buyer-email"])  # expect: SS108
    print(row["order-id"])  # ok
''', {(6, "SS108")}),
    "report_pandas": ('''
import io
import pandas as pd
from sp_api.api import Reports
doc = Reports().get_report_document("doc-1", download=True).payload["document"]
frame = pd.read_csv(io.StringIO(doc), sep="\\t")
frame.to_csv("/tmp/out.csv")
''', {(7, "SS109")}),
    "official_sdk": ('''
from spapi import OrdersV0Api, SPAPIClient, SPAPIConfig
api = OrdersV0Api(SPAPIClient(SPAPIConfig(client_id="x", client_secret="y", refresh_token="z")).api_client)
response = api.get_orders(marketplace_ids=["ATVPDKIKX0DER"])
for order in response.payload.orders:
    print(order.buyer_info.buyer_email)
    print(order.amazon_order_id)
''', {(6, "SS108")}),
    "raw_http": ('''
import requests
BASE = "https://sellingpartnerapi-na.amazon.com"
resp = requests.get(BASE + "/orders/v0/orders", params={"CreatedAfter": "2024"}, headers={"x-amz-access-token": "t"})
for order in resp.json()["payload"]["Orders"]:
    requests.post("https://hooks.slack.com/services/T0/B0/X", json={"text": order["BuyerInfo"]["BuyerName"]})
    requests.post("https://hooks.slack.com/services/T0/B0/X", json={"text": order["AmazonOrderId"]})
''', {(6, "SS107")}),
    "ses_and_sns": ('''
import boto3
from sp_api.api import Orders
order = Orders().get_order("1").payload
boto3.client("ses").send_email(Source="a@b.c", Destination={"ToAddresses": [order["BuyerInfo"]["BuyerEmail"]]}, Message={})
boto3.client("sns").publish(PhoneNumber=order["ShippingAddress"]["Phone"], Message="hi")
boto3.client("s3").put_object(Bucket="b", Key="k", Body=order["AmazonOrderId"])
''', {(5, "SS104"), (6, "SS105")}),
    "carrier_and_tax": ('''
import taxjar
import shippo
from sp_api.api import Orders
address = Orders().get_order_address("1").payload["ShippingAddress"]
taxjar.Client(api_key="k").tax_for_order({"to_zip": address["PostalCode"], "to_street": address["AddressLine1"]})
shippo.Shipment.create(address_to={"name": address["Name"], "street1": address["AddressLine1"]})
''', set()),
    "mfn_shipment": ('''
import logging
from sp_api.api import MerchantFulfillment
shipment = MerchantFulfillment().get_shipment("s-1").payload
logging.info(shipment["ShipToAddress"]["Email"])
logging.info(shipment["ShipmentId"])
''', {(5, "SS108")}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_catalog_case(name: str, tmp_path: Path) -> None:
    code, expected = CASES[name]
    (tmp_path / "app.py").write_text(code, encoding="utf-8")
    result = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path))
    assert result.skipped == []
    assert {(f.sink.line, f.rule_id) for f in result.findings} == expected
