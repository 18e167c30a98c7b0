"""Hand-built scan results for the report-writer tests (no engine involved)."""

from __future__ import annotations

from dataclasses import replace

from scanner.model import (
    Destination,
    Finding,
    Location,
    RuleInfo,
    ScanResult,
    Severity,
    SinkKind,
    SkippedFile,
    SkipReason,
    StepKind,
    TraceStep,
    Verdict,
)

PAYLOADS = (
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "{{7*7}}",
    "javascript:alert(1)",
    "'--><!-- \u2028 ]]>",
)
"""Strings that must come out of every report inert."""

RULES = [
    RuleInfo(
        "SS101", "pii-to-ad-platform", Severity.CRITICAL,
        "Buyer PII sent to an advertising platform",
        explanation="Amazon customer data reaches an advertising platform such as a Meta "
        "custom audience. Hashing the values first does not make this allowed.",
        fix="Remove the upload. Ad audiences may only be built from data the seller "
        "collected itself with consent.",
        policy="DPP / AUP: PII may be used only for fulfilment, shipping, tax and "
        "customer service; never for marketing.",
        tags=("security", "privacy", "advertising"),
    ),
    RuleInfo(
        "SS103", "pii-in-direct-email", Severity.HIGH,
        "Buyer PII placed in an e-mail sent outside Buyer-Seller Messaging",
        explanation="A buyer's name, address or phone number is written into an e-mail "
        "sent through an ordinary mail server.",
        fix="Send buyer messages through the Messaging API.",
        policy="Communication Guidelines: contact only through Buyer-Seller Messaging.",
        tags=("security", "privacy", "email"),
    ),
    RuleInfo(
        "SS108", "pii-in-logs", Severity.MEDIUM,
        "Buyer PII written to logs or the console",
        explanation="A buyer's PII (or a whole API response holding it) is printed or logged.",
        fix="Log order ids and counts, not buyer data or whole responses.",
        policy="DPP Logging: logs must not contain PII.",
        tags=("privacy", "logging"),
    ),
    RuleInfo(
        "SS109", "pii-to-file", Severity.LOW,
        "Buyer PII written to a plain file (review encryption at rest and retention)",
        explanation="A buyer's PII is written to a plain file, which must be encrypted at rest.",
        fix="Avoid exporting buyer PII; if needed, encrypt the file.",
        policy="DPP 2.4 encryption at rest and retention.",
        tags=("privacy", "storage", "review"),
    ),
]


def loc(path: str, line: int, snippet: str, focus: str = "") -> Location:
    """A one-line location whose region is the text `focus` in `snippet` (the code
    after the indentation if empty); columns are 1-based, the end exclusive."""
    focus = focus or snippet.strip()
    column = snippet.index(focus) + 1
    return Location(path, line, column, line, column + len(focus), snippet)


def ad_finding() -> Finding:
    """Hashed buyer e-mails uploaded to a Meta custom audience, across two modules."""
    src = loc("app/orders.py", 14,
              "    orders = Orders(credentials=creds).get_orders(CreatedAfter=since)",
              "Orders(credentials=creds).get_orders(CreatedAfter=since)")
    steps = (
        TraceStep(src, "SP-API Orders.getOrders returns BuyerInfo.BuyerEmail", StepKind.SOURCE),
        TraceStep(loc("app/orders.py", 15,
                      '    emails = [o["BuyerInfo"]["BuyerEmail"] for o in orders.payload["Orders"]]',
                      "emails"), "assigned to `emails`", StepKind.STEP),
        TraceStep(loc("app/orders.py", 16, "    return [sha256(e) for e in emails]",
                      "[sha256(e) for e in emails]"),
                  "hashed and returned from `buyer_emails()`", StepKind.RETURN),
        TraceStep(loc("app/marketing/audience.py", 22, "    hashed = buyer_emails(since)",
                      "buyer_emails(since)"),
                  "result of `buyer_emails()` assigned to `hashed`", StepKind.CALL),
        TraceStep(loc("app/marketing/audience.py", 23,
                      "    CustomAudience(AUDIENCE_ID).add_users(Schema.email_hash, hashed)"),
                  "passed as `users` to `CustomAudience.add_users()`", StepKind.SINK),
    )
    return Finding(
        rule_id="SS101", rule_name="pii-to-ad-platform", severity=Severity.CRITICAL,
        verdict=Verdict.VIOLATION,
        message="Buyer email reaches an advertising platform (Meta custom audience).",
        pii_kinds=("email",), hashed=True, sink_kind=SinkKind.AD_PLATFORM,
        destination=Destination("ad_platform", "graph.facebook.com"),
        source_rule="sp_api.orders.get_orders", sink_rule="facebook.custom_audience.add_users",
        source=src, sink=steps[-1].location, steps=steps,
    )


def email_finding() -> Finding:
    """Buyer name and address put into an SMTP e-mail body."""
    src = loc("app/notify.py", 8, "    addr = api.get_order_address(order_id).payload",
              "api.get_order_address(order_id).payload")
    steps = (
        TraceStep(src, "SP-API Orders.getOrderAddress returns ShippingAddress", StepKind.SOURCE),
        TraceStep(loc("app/notify.py", 9,
                      '    body = f"Hi {addr[\'Name\']}, your parcel goes to {addr[\'AddressLine1\']}"',
                      "body"), "formatted into `body`", StepKind.STEP),
        TraceStep(loc("app/notify.py", 12, "    smtp.sendmail(FROM, to, body)"),
                  "passed as `msg` to `smtplib.SMTP.sendmail()`", StepKind.SINK),
    )
    return Finding(
        rule_id="SS103", rule_name="pii-in-direct-email", severity=Severity.HIGH,
        verdict=Verdict.VIOLATION,
        message="Buyer name and address are written into an e-mail sent over SMTP.",
        pii_kinds=("address", "name"), hashed=False, sink_kind=SinkKind.EMAIL,
        destination=Destination("email", "smtp.example-mailer.com"),
        source_rule="sp_api.orders.get_order_address", sink_rule="smtplib.sendmail",
        source=src, sink=steps[-1].location, steps=steps,
    )


def log_finding() -> Finding:
    """A whole order response logged."""
    src = loc("app/sync.py", 30, "    resp = client.get_order(order_id)",
              "client.get_order(order_id)")
    steps = (
        TraceStep(src, "SP-API Orders.getOrder returns BuyerInfo", StepKind.SOURCE),
        TraceStep(loc("app/sync.py", 31, '    logger.info("order %s", resp.payload)'),
                  "passed to `logging.Logger.info()`", StepKind.SINK),
    )
    return Finding(
        rule_id="SS108", rule_name="pii-in-logs", severity=Severity.MEDIUM, verdict=Verdict.VIOLATION,
        message="A whole order response holding buyer PII is logged.",
        pii_kinds=("email", "name", "phone"), hashed=False, sink_kind=SinkKind.LOG,
        destination=Destination("log"), source_rule="sp_api.orders.get_order",
        sink_rule="logging.info", source=src, sink=steps[-1].location, steps=steps,
    )


def file_finding() -> Finding:
    """A CSV export of a PII report."""
    src = loc("app/reports/export.py", 41,
              '    rows = csv.DictReader(io.StringIO(doc["document"]), delimiter="\\t")',
              'csv.DictReader(io.StringIO(doc["document"]), delimiter="\\t")')
    steps = (
        TraceStep(src, "report GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING has PII columns",
                  StepKind.SOURCE),
        TraceStep(loc("app/reports/export.py", 44,
                      '        writer.writerow([r["buyer-email"], r["ship-address-1"]])'),
                  "row written by `csv.writer.writerow()`", StepKind.SINK),
    )
    return Finding(
        rule_id="SS109", rule_name="pii-to-file", severity=Severity.LOW, verdict=Verdict.REVIEW,
        message="Buyer PII from an order report is written to a plain CSV file.",
        pii_kinds=("address", "email"), hashed=False, sink_kind=SinkKind.STORAGE,
        destination=Destination("file"), source_rule="sp_api.reports.get_report_document",
        sink_rule="csv.writer.writerow", source=src, sink=steps[-1].location, steps=steps,
    )


SKIPPED = [
    SkippedFile("app/legacy/py2_sync.py", SkipReason.PYTHON2, "line 12: print \"done\""),
    SkippedFile("vendor/huge_generated.py", SkipReason.TOO_LARGE, "4.2 MB > 2 MB limit"),
]


def sample_result(findings: list[Finding] | None = None) -> ScanResult:
    """A realistic scan: four findings of four severities, two skipped files, one note."""
    return ScanResult(
        root="examples/shop-app",
        findings=findings if findings is not None else [
            ad_finding(), email_finding(), log_finding(), file_finding(),
        ],
        skipped=list(SKIPPED),
        files_scanned=27,
        lines_scanned=3412,
        rules=list(RULES),
        notes=["Call depth budget reached in app/util/retry.py; some flows may be missing."],
    )


def injection_finding() -> Finding:
    """A finding whose every scanned-code-derived string carries the payloads."""
    all_payloads = " ".join(PAYLOADS)
    src = Location("javascript:alert(1)", 3, 5, 3, 40,
                   f"x = get_order()  # {PAYLOADS[0]} {PAYLOADS[1]}")
    mid = Location("app/<img src=x onerror=alert(1)>.py", 4, 1, 4, 10,
                   f'y = "{PAYLOADS[2]}" + x  # {PAYLOADS[3]}')
    sink = Location('app/"><svg onload=alert(1)>.py', 9, 1, 9, 20,
                    f"requests.post('{PAYLOADS[4]}', data=y)  # {PAYLOADS[0]}")
    steps = (
        TraceStep(src, f"source {PAYLOADS[0]}", StepKind.SOURCE),
        TraceStep(mid, f"assigned to `{PAYLOADS[1]}`", StepKind.STEP),
        TraceStep(sink, f"sent {PAYLOADS[2]} {PAYLOADS[3]}", StepKind.SINK),
    )
    return Finding(
        rule_id="SS107", rule_name=f"pii-to-third-party-host {PAYLOADS[1]}",
        severity=Severity.HIGH, verdict=Verdict.VIOLATION, message=f"Injected message {all_payloads}",
        pii_kinds=(PAYLOADS[0], "email"), hashed=False, sink_kind=SinkKind.HTTP,
        destination=Destination(PAYLOADS[2], PAYLOADS[4]),
        source_rule=PAYLOADS[3], sink_rule=PAYLOADS[0], source=src, sink=sink, steps=steps,
    )


def injection_result() -> ScanResult:
    """The sample scan plus the injection finding, an injected skip and an injected note."""
    result = sample_result()
    result.findings.append(injection_finding())
    result.skipped.append(SkippedFile(f"bad/{PAYLOADS[1]}.py", SkipReason.SYNTAX_ERROR, PAYLOADS[0] + PAYLOADS[2]))
    result.notes.append(PAYLOADS[0])
    result.root = f"/tmp/{PAYLOADS[2]}"
    return result


def shifted(finding: Finding, lines: int) -> Finding:
    """`finding` with every location moved `lines` lines down (same code)."""
    def move(location: Location) -> Location:
        return replace(location, line=location.line + lines, end_line=location.end_line + lines)

    return replace(
        finding,
        source=move(finding.source),
        sink=move(finding.sink),
        steps=tuple(replace(s, location=move(s.location)) for s in finding.steps),
    )
