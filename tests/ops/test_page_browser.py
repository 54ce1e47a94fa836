"""The ops page in a real headless browser: Debian's Chromium driven by Playwright against a
real `wippy run` (tests/ops/app.py). Runs whenever /usr/bin/chromium and the playwright
package are installed (.ci/run installs both); skipped, saying which is missing, otherwise,
except under WIPPY_REQUIRE_BROWSER=1 (.ci/run sets it), where a missing one fails."""
from __future__ import annotations

import os
import re
import time

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
REQUIRED = os.environ.get("WIPPY_REQUIRE_BROWSER") == "1"   # CI: never skip quietly
if not os.path.exists(CHROMIUM):
    (pytest.fail if REQUIRED else pytest.skip)(
        f"no {CHROMIUM}: apt-get install -y chromium to run the ops page browser test",
        **({"pytrace": False} if REQUIRED else {"allow_module_level": True}))
try:
    import playwright.sync_api as sync_api
except ImportError:
    (pytest.fail if REQUIRED else pytest.skip)(
        "the playwright package is missing: pip install -e '.[test]' (no browser download "
        "needed; the test drives /usr/bin/chromium)",
        **({"pytrace": False} if REQUIRED else {"allow_module_level": True}))

pytestmark = pytest.mark.e2e
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 10_000     # longest wait for the page to show a change (it polls every second)


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_ops_page_live_in_chromium(ops_app, browser):
    expect = sync_api.expect
    started = time.monotonic()
    page = browser.new_page()
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{ops_app.ops}/ops/")

    # Services and their states.
    gateway = page.locator('#services tr[data-service="app:gateway"]')
    expect(gateway.locator("td.state")).to_have_text("running", timeout=WAIT_MS)
    expect(page.locator('#services tr[data-service="app:consumer"] td.state')).to_have_text(
        "running")
    expect(page.locator("#readiness")).to_have_text("ready")

    # A queue's depth follows a POST.
    inbox_ready = page.locator('#queues tr[data-queue="app:inbox"] td.ready')
    expect(inbox_ready).to_have_text("0", timeout=WAIT_MS)
    with httpx.Client(base_url=ops_app.url, timeout=10) as app:
        assert app.post("/inbox", json={"name": "one"}).status_code == 202
        expect(inbox_ready).to_have_text("1", timeout=WAIT_MS)
        assert app.post("/inbox", json={"name": "two"}).status_code == 202
        expect(inbox_ready).to_have_text("2", timeout=WAIT_MS)

        # A failing job is dead-lettered and shown with its last_error.
        assert app.post("/jobs", json={"name": "job-7"}).status_code == 202
        letter = page.locator('#dead-letters tr[data-dead-queue="app:failed"]')
        expect(letter).to_have_count(1, timeout=WAIT_MS)
        expect(letter.locator("td.last-error")).to_have_text("not fixed yet: job-7")
        expect(page.locator('#queues tr[data-queue="app:jobs"] td.dead')).to_have_text("1")

        # A handler error with the request id its client got.
        boom = app.get("/boom")
        assert boom.status_code == 500
        request_id = boom.json()["error"]["request_id"]
        error_row = page.locator("#errors tr", has=page.locator(
            "td.request-id", has_text=request_id))
        expect(error_row).to_have_count(1, timeout=WAIT_MS)
        expect(error_row.locator("td.error")).to_contain_text("boom: <b>failed</b> on purpose")
        assert page.locator("#errors b").count() == 0   # shown as text, never as markup

        # Replay the dead letter once the cause is fixed: it runs and lands in app:done.
        assert app.post("/fix").status_code == 200
    letter.locator("button.replay").click()
    expect(page.locator("#replay-status")).to_have_text(
        "replayed 1 message(s) from app:failed", timeout=WAIT_MS)
    expect(letter).to_have_count(0, timeout=WAIT_MS)
    expect(page.locator('#queues tr[data-queue="app:done"] td.ready')).to_have_text(
        "1", timeout=WAIT_MS)
    expect(page.locator('#queues tr[data-queue="app:jobs"] td.dead')).to_have_text("0")

    # The registry's entries, filtered.
    expect(page.locator('#entries tr[data-entry="app:consumer"] td.kind')).to_have_text(
        "queue.consumer", timeout=WAIT_MS)
    page.fill("#entry-filter", "http.endpoint")
    expect(page.locator("#entries tbody tr")).to_have_count(4)
    expect(page.locator("#entry-count")).to_have_text(re.compile(r"\(4 of \d+\)"))

    # Offline: nothing but the page's own origin was asked for; no script or CSP errors.
    assert requests and all(url.startswith(f"{ops_app.ops}/ops/") for url in requests), requests
    assert problems == [], problems
    print(f"browser part took {time.monotonic() - started:.1f}s")
