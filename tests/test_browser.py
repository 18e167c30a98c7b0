"""The HTML report in a real browser: Debian's headless chromium driven by Playwright.

Installs nothing: `.ci/setup-extra` provides /usr/bin/chromium and the `playwright`
package. Leaves a screenshot in test-artifacts/report.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from report_samples import injection_result, sample_result

from scanner.report.html import render_html

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing")


def test_report_renders_filters_and_stays_offline(tmp_path: Path) -> None:
    result = injection_result()
    report = tmp_path / "report.html"
    report.write_text(render_html(result), encoding="utf-8")
    clean = tmp_path / "clean.html"  # what the screenshot shows: no injected text in it
    clean.write_text(render_html(sample_result()), encoding="utf-8")
    url = report.as_uri()
    requests: list[str] = []
    dialogs: list[str] = []
    console_errors: list[str] = []

    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=ARGS,
            headless=True, viewport={"width": 1280, "height": 900},
        )
        try:
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("console", lambda m: console_errors.append(m.text)
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: console_errors.append(str(e)))
            allowed = {url, clean.as_uri()}
            context.route("**/*", lambda route: route.continue_()
                          if route.request.url in allowed else route.abort())
            page.goto(url, wait_until="load")
            page.wait_for_timeout(300)  # give any injected handler a chance to fire

            assert page.locator("#total-findings").inner_text() == str(len(result.findings))
            assert page.locator("[data-count=critical]").inner_text() == "1"
            assert page.locator("[data-count=high]").inner_text() == "2"
            assert page.locator("#flow-map path.edge").count() >= 5
            cards = page.locator("article.finding")
            assert cards.count() == len(result.findings)
            assert page.locator("#shown-count").inner_text() == "5 of 5 findings shown"
            first = cards.first
            assert first.locator("ol.trace > li").count() == 5
            assert first.locator(".focus").count() > 0  # the step's code is highlighted
            assert page.locator("#skipped tbody tr").count() == len(result.skipped)

            page.select_option("#filter-severity", "high")
            visible = page.locator("article.finding:visible")
            assert visible.count() == 2
            assert set(visible.evaluate_all("els => els.map(e => e.dataset.severity)")) == {"high"}
            assert page.locator("#shown-count").inner_text() == "2 of 5 findings shown"

            page.select_option("#filter-pii", "phone")
            assert page.locator("article.finding:visible").count() == 0
            assert page.locator("#no-match").is_visible()

            page.click("#filter-reset")
            sync_api.expect(page.locator("article.finding:visible")).to_have_count(5)
            page.select_option("#filter-file", "app/sync.py")
            assert page.locator("article.finding:visible").count() == 1
            page.select_option("#filter-file", "")
            page.select_option("#filter-rule", "SS101")
            assert page.locator("article.finding:visible").count() == 1

            page.click("button.card.sev-medium")
            assert page.locator("#filter-severity").input_value() == "medium"
            assert page.locator("article.finding:visible").count() == 0  # SS101 is critical

            assert page.locator("img, iframe, object, embed").count() == 0
            assert page.locator("svg").count() == 1  # the map only: no injected <svg>
            assert page.locator("script").count() == 2  # the data block and ours

            page.goto(clean.as_uri(), wait_until="load")
            assert page.locator("article.finding").count() == len(sample_result().findings)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            context.close()

    assert dialogs == []
    assert [u for u in requests if u not in allowed] == []
    assert console_errors == []
