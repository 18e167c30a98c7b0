"""Spot checks of the bundled catalog beyond the construct fixtures: reports parsed with
csv/pandas/csv.reader/splitlines, the official SDK (incl. `*_with_http_info`), MWS, raw
HTTP sources (requests, aiohttp, LWA tokens), async twins, load_all_pages, every sink
family (ad platforms with object setters, e-mail, marketing lists, SMS, analytics, CRM,
help desks, collaboration tools, storage, FTP) and permitted destinations. The
`ANNOTATED` cases carry their expectations as `# expect:` comments."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import annotations_in

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
    "http_client_host_from_constructor": ('''
import http.client
from sp_api.api import Orders
addr = Orders().get_order_address("1").payload["ShippingAddress"]
http.client.HTTPSConnection("api.easypost.com").request("POST", "/v2/addresses", body=str(addr))
conn = http.client.HTTPSConnection("graph.facebook.com")
conn.request("POST", "/v19.0/1/users", body=str(addr))
http.client.HTTPSConnection("collector.example").request("POST", "/", body=str(addr))
''', {(7, "SS101"), (8, "SS107")}),
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


ANNOTATED = {
"v2026_unversioned_get_order": '''
from sp_api.api import Orders, OrdersVersion
o = Orders(version=OrdersVersion.LATEST).get_order("1", includedData=["BUYER"]).payload
print(o["order"]["buyer"]["buyerEmail"])  # expect: SS108
print(o["order"]["orderId"])
''',
"v2026_search_unversioned": '''
from sp_api.api import Orders
for o in Orders(version="2026-01-01").search_orders(includedData=["RECIPIENT"]).orders:
    print(o["recipient"]["deliveryAddress"]["addressLine1"])  # expect: SS108
    print(o["orderId"])
''',
"async_twin": '''
import asyncio
from sp_api.asyncio.api import Orders
async def main():
    resp = await Orders().get_order_address("1")
    print(resp.payload["ShippingAddress"]["Name"])  # expect: SS108
''',
"load_all_pages": '''
from sp_api.api import Orders
from sp_api.util import load_all_pages, throttle_retry
@throttle_retry()
@load_all_pages()
def pages(**kw):
    return Orders().get_orders(**kw)
for page in pages(CreatedAfter="x"):
    for order in page.payload.get("Orders", []):
        print(order["BuyerInfo"]["BuyerEmail"])  # expect: SS108
''',
"report_csv_reader": '''
import csv, io
from sp_api.api import Reports
doc = Reports().get_report_document("d", download=True).payload["document"]
reader = csv.reader(io.StringIO(doc), delimiter="\\t")
header = next(reader)
for row in reader:
    print(row[3])  # expect: SS108
''',
"report_splitlines": '''
from sp_api.api import Reports
doc = Reports().get_report_document("d", download=True).payload["document"]
for line in doc.splitlines()[1:]:
    cols = line.split("\\t")
    print(cols[2])  # expect: SS108
''',
"report_pandas_iterrows": '''
import io
import pandas as pd
import requests
from sp_api.api import Reports
doc = Reports().get_report_document("d", download=True).payload["document"]
df = pd.read_csv(io.StringIO(doc), sep="\\t")
for _, row in df.iterrows():
    requests.post("https://x.example/api", json={"e": row["buyer-email"]})  # expect: SS107
    requests.post("https://x.example/api", json={"e": row["order-id"]})
emails = df["buyer-email"].dropna().tolist()
print(emails)  # expect: SS108
print(df["buyer-email"].nunique())
''',
"sdk_report_url_fetch": '''
import requests
from spapi import ReportsApi, SPAPIClient, SPAPIConfig
api = ReportsApi(SPAPIClient(SPAPIConfig(client_id="a", client_secret="b", refresh_token="c")).api_client)
doc = api.get_report_document("d")
text = requests.get(doc.url, timeout=60).text
print(doc.url)  # expect: SS108
''',
"sdk_orders_v2026": '''
from spapi import SearchOrdersApi, SPAPIClient, SPAPIConfig
api = SearchOrdersApi(SPAPIClient(SPAPIConfig(client_id="a", client_secret="b", refresh_token="c")).api_client)
for o in api.search_orders(included_data=["BUYER"]).orders:
    print(o.buyer.buyer_email)  # expect: SS108
    print(o.order_id)
''',
"sdk_with_http_info": '''
from spapi import OrdersV0Api, SPAPIClient, SPAPIConfig
api = OrdersV0Api(SPAPIClient(SPAPIConfig(client_id="a", client_secret="b", refresh_token="c")).api_client)
data, status, headers = api.get_orders_with_http_info(marketplace_ids=["x"])
for o in data.payload.orders:
    print(o.shipping_address.postal_code)  # expect: SS108
print(status)
''',
"mws_parsed_single": '''
import mws
orders = mws.Orders(access_key="a", secret_key="b", account_id="c")
resp = orders.list_orders(marketplaceids=["x"], created_after="2024")
order = resp.parsed.Orders.Order
print(order.BuyerEmail.value)  # expect: SS108
print(order.AmazonOrderId.value)
''',
"mws_report_csv": '''
import csv, io
import mws
rep = mws.Reports(access_key="a", secret_key="b", account_id="c").get_report("r")
for row in csv.DictReader(io.StringIO(rep.original.decode("utf-8")), delimiter="\\t"):
    print(row["buyer-email"])  # expect: SS108
    print(row["order-id"])
''',
"raw_requests_fstring": '''
import requests
REGION = "na"
def get(order_id, token):
    r = requests.get(f"https://sellingpartnerapi-{REGION}.amazon.com/orders/v0/orders/{order_id}/address", headers={"x-amz-access-token": token})
    print(r.json()["payload"]["ShippingAddress"]["City"])  # expect: SS108
''',
"raw_aiohttp": '''
import aiohttp
async def fetch(token):
    async with aiohttp.ClientSession() as session:
        async with session.get("https://sellingpartnerapi-eu.amazon.com/orders/2026-01-01/orders", params={"includedData": "BUYER"}) as resp:
            data = await resp.json()
            print(data["orders"][0]["buyer"]["buyerName"])  # expect: SS108
''',
"lwa_token_to_slack": '''
import requests
tok = requests.post("https://api.amazon.com/auth/o2/token", data={"grant_type": "refresh_token"}).json()["access_token"]
requests.post("https://hooks.slack.com/services/T/B/X", json={"text": tok})  # expect: SS113
requests.get("https://sellingpartnerapi-na.amazon.com/orders/v0/orders", headers={"x-amz-access-token": tok})
''',
"meta_capi_setters": '''
from facebook_business.adobjects.serverside.event import Event
from facebook_business.adobjects.serverside.event_request import EventRequest
from facebook_business.adobjects.serverside.user_data import UserData
from sp_api.api import Orders
o = Orders().get_order("1").payload
ud = UserData()
ud.email = o["BuyerInfo"]["BuyerEmail"]
event = Event(event_name="Purchase", user_data=ud)
EventRequest(events=[event], pixel_id="1").execute()  # expect: SS101
''',
"meta_capi_ctor": '''
from facebook_business.adobjects.serverside.event import Event
from facebook_business.adobjects.serverside.event_request import EventRequest
from facebook_business.adobjects.serverside.user_data import UserData
from sp_api.api import Orders
o = Orders().get_order("1").payload
ud = UserData(email=o["BuyerInfo"]["BuyerEmail"], zip_code=o["ShippingAddress"]["PostalCode"])
req = EventRequest(events=[Event(event_name="Purchase", user_data=ud)], pixel_id="1")
req.execute()  # expect: SS101
''',
"google_ads_conversions": '''
from google.ads.googleads.client import GoogleAdsClient
from sp_api.api import Orders
o = Orders().get_order("1").payload
client = GoogleAdsClient.load_from_dict({})
uid = client.get_type("UserIdentifier")
uid.address_info.hashed_first_name = o["BuyerInfo"]["BuyerName"]
conv = client.get_type("ClickConversion")
conv.user_identifiers.append(uid)
svc = client.get_service("ConversionUploadService")
svc.upload_click_conversions(customer_id="1", conversions=[conv], partial_failure=True)  # expect: SS101
''',
"sendgrid_mail": '''
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail
from sp_api.api import Orders
b = Orders().get_order_buyer_info("1").payload
msg = Mail(from_email="shop@x.com", to_emails=b["BuyerEmail"], subject="Hi", html_content=f"Hi {b['BuyerName']}")
SendGridAPIClient("key").send(msg)  # expect: SS103, SS104
''',
"django_mail": '''
from django.core.mail import EmailMessage, send_mail
from sp_api.api import Orders
b = Orders().get_order_buyer_info("1").payload
send_mail("Hi", "thanks", "shop@x.com", [b["BuyerEmail"]])  # expect: SS104
EmailMessage("Hi", f"Dear {b['BuyerName']}", "shop@x.com", ["me@x.com"]).send()  # expect: SS103
''',
"klaviyo_hubspot_sf": '''
from hubspot import HubSpot
from klaviyo_api import KlaviyoAPI
from simple_salesforce import Salesforce
from sp_api.api import Orders
b = Orders().get_order_buyer_info("1").payload
KlaviyoAPI("pk").Profiles.create_profile({"data": {"attributes": {"email": b["BuyerEmail"]}}})  # expect: SS102
HubSpot(access_token="t").crm.contacts.basic_api.create(simple_public_object_input_for_create={"properties": {"email": b["BuyerEmail"]}})  # expect: SS106
sf = Salesforce(username="u", password="p", security_token="t")
sf.Lead.create({"Email": b["BuyerEmail"]})  # expect: SS106
sf.Account.create({"Name": b["BuyerName"]})  # expect: SS106
''',
"sms": '''
import boto3
from sp_api.api import Orders
a = Orders().get_order_address("1").payload["ShippingAddress"]
boto3.client("sns").publish(PhoneNumber=a["Phone"], Message="Your parcel")  # expect: SS105
''',
"storage": '''
import json
import boto3
import openpyxl
from sp_api.api import Orders
orders = Orders().get_orders(CreatedAfter="x").payload["Orders"]
wb = openpyxl.Workbook()
ws = wb.active
for o in orders:
    ws.append([o["AmazonOrderId"], o["ShippingAddress"]["Name"]])  # expect: SS109
s3 = boto3.client("s3")
s3.put_object(Bucket="b", Key="k", Body=json.dumps(orders), ServerSideEncryption="aws:kms")  # expect: SS111
''',
"sentry_loguru": '''
import sentry_sdk
from loguru import logger
from sp_api.api import Orders
b = Orders().get_order_buyer_info("1").payload
sentry_sdk.set_user({"email": b["BuyerEmail"]})  # expect: SS108
logger.info("buyer {}", b["BuyerName"])  # expect: SS108
''',
"helpdesk_collab": '''
import requests
from slack_sdk import WebClient
from sp_api.api import Orders
b = Orders().get_order_buyer_info("1").payload
WebClient(token="t").chat_postMessage(channel="#orders", text=f"New buyer {b['BuyerName']}")  # expect: SS107
requests.post("https://api.intercom.io/contacts", json={"email": b["BuyerEmail"]})  # expect: SS110
''',
"permitted": '''
import easypost
import shippo
from shipstation.api import ShipStation, ShipStationAddress, ShipStationOrder
from sp_api.api import MerchantFulfillment, Messaging, Orders
a = Orders().get_order_address("1").payload["ShippingAddress"]
easypost.EasyPostClient("k").shipment.create(to_address={"name": a["Name"], "street1": a["AddressLine1"]})
ss = ShipStation(key="k", secret="s")
order = ShipStationOrder(order_key="1", order_number="1")
order.set_shipping_address(ShipStationAddress(name=a["Name"], street1=a["AddressLine1"], city=a["City"]))
ss.add_order(order)
ss.submit_orders()
res = Messaging().create_confirm_delivery_details("1", text=f"Hi {a['Name']}")
print(res)
shipment = MerchantFulfillment().create_shipment(ShipmentRequestDetails={"ShipToAddress": a})
print(shipment.payload["ShipmentId"])
''',
"vendor_df_and_shipping_docs": '''
import requests
from sp_api.api import ShippingV2, VendorDirectFulfillmentShipping
lab = VendorDirectFulfillmentShipping().get_shipping_label("po1").payload
requests.post("https://print.example/jobs", json={"pdf": lab["labelData"][0]["content"]})  # expect: SS107
print(lab["purchaseOrderNumber"])
docs = ShippingV2().get_shipment_documents("s1").payload
print(docs["shipmentId"])
print(docs["packageDocumentDetail"]["packageDocuments"][0]["contents"])  # expect: SS108
''',
"ftp": '''
import ftplib
from sp_api.api import Orders
b = Orders().get_order_buyer_info("1").payload
ftp = ftplib.FTP("h")
ftp.storlines("STOR x", [b["BuyerEmail"]])  # expect: SS112
ftps = ftplib.FTP_TLS("h")
ftps.storlines("STOR x", [b["BuyerEmail"]])  # expect: SS107
''',
}


@pytest.mark.parametrize("name", sorted(ANNOTATED))
def test_annotated_catalog_case(name: str, tmp_path: Path) -> None:
    code = ANNOTATED[name].lstrip()
    (tmp_path / "app.py").write_text(code, encoding="utf-8")
    result = run_scan(ScanOptions(paths=[tmp_path], root=tmp_path))
    assert result.skipped == []
    expected, _ = annotations_in(code, "app.py")
    assert {(f.sink.line, f.rule_id) for f in result.findings} == {(line, rule) for _, line, rule in expected}
