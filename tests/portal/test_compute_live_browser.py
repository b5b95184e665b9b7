"""``portal/compute-live.js``: the compute pages' live progress, as a static script (the CSP
forbids inline script). Exercised against a stand-in page and status endpoint, so the script is
tested apart from the views that will use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mltheory.portal

pytestmark = pytest.mark.browser

SCRIPT = Path(mltheory.portal.__file__).parent / "static" / "portal" / "compute-live.js"
ORIGIN = "http://portal.test"
RUNS_PAGE = """<!doctype html><html lang="en"><head><title>My runs</title>
<script src="/static/portal/compute-live.js" defer></script></head><body>
<table data-runs-status-url="/compute/runs/status/">
<tr data-run="7"><td class="state">queued</td><td class="progress"></td><td class="used"></td></tr>
<tr data-run="8"><td class="state">succeeded</td><td class="progress"></td><td class="used"></td></tr>
</table></body></html>"""


@pytest.fixture
def stand_in(chromium_browser):
    context = chromium_browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    polls = []

    def serve(route):
        url = route.request.url
        if url.endswith("/compute-live.js"):
            route.fulfill(body=SCRIPT.read_text(), content_type="text/javascript")
        elif url.endswith("/compute/runs/status/"):
            polls.append(url)
            state = "running" if len(polls) == 1 else "succeeded"
            runs = [
                {"id": 7, "state": state, "stop_reason": "", "used_s": 1.5 * len(polls),
                 "progress": {"seeds": 3, "seeds_done": len(polls), "rows": 40}},
            ]  # fmt: skip
            route.fulfill(body=json.dumps({"runs": runs}), content_type="application/json")
        else:
            route.fulfill(
                body=RUNS_PAGE,
                content_type="text/html",
                headers={
                    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'"
                },
            )

    page.route(ORIGIN + "/**", serve)
    yield page, polls
    context.close()


def test_runs_table_updates_until_no_run_is_active_under_a_strict_policy(stand_in):
    page, polls = stand_in
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(ORIGIN + "/compute/runs/")
    row = page.locator("tr[data-run='7']")
    row.locator(".state:text-is('running')").wait_for()
    assert row.locator(".progress").inner_text() == "seeds 1/3 · 40 metric rows"
    assert row.locator(".used").inner_text() == "1.5 s"
    # Still active: it polls again (2 s later) and stops once the run has ended.
    row.locator(".state:text-is('succeeded')").wait_for()
    assert row.locator(".used").inner_text() == "3.0 s"
    page.wait_for_timeout(2500)  # one more polling interval: no third request
    assert len(polls) == 2
    assert page.locator("tr[data-run='8'] .state").inner_text() == "succeeded"
    assert errors == []
