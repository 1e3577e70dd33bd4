"""htmx under the Content-Security-Policy, in a real browser: Debian's
headless Chromium, driven by Playwright, against the app served over HTTP.

The pages load htmx, swap fragments without reloading, and the browser
reports no violation of the policy (an inline style or script, an eval).
Left out when /usr/bin/chromium is not installed.
"""

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium"
)


@pytest.fixture
def base_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def page(base_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS
        )
        context = browser.new_context(base_url=base_url, locale="nl-BE")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda message: _console(page, message))
        page.on("response", lambda answer: _response(page, answer))
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        yield page
        browser.close()


def _console(page, message):
    # A failed load is reported by _response, with its address.
    if message.type == "error" and not message.text.startswith("Failed to load"):
        page.problems.append(message.text)


def _response(page, answer):
    if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
        page.problems.append(f"{answer.status} {answer.url}")


def test_htmx_swaps_the_calendar_and_centres_under_the_policy(page):
    response = page.goto("/nl/register")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.evaluate("typeof htmx") == "object"
    page.evaluate("window.stillTheSamePage = true")

    with page.expect_response("**/nl/register/calendar") as calendar:
        page.click("button[name=calendar_action][value='part:evening']")
    assert calendar.value.status == 200
    evenings = "input[name=availability][value$=':evening']:checked"
    # A function, not an expression: the page's CSP forbids eval() while polling.
    page.wait_for_function(f'() => document.querySelectorAll("{evenings}").length > 0')
    with page.expect_response("**/nl/register/centres?*") as centres:
        page.fill("#postcode", "4700")
    assert centres.value.status == 200
    page.wait_for_selector("#centres input[value='dg-eupen']", state="attached")

    assert page.evaluate("window.stillTheSamePage") is True
    assert page.problems == []


def test_the_centre_finder_swaps_results_under_the_policy(page):
    page.goto("/fr/centres")
    page.evaluate("window.stillTheSamePage = true")

    page.fill("#postcode", "9000")
    with page.expect_response("**/fr/centres?postcode=9000") as found:
        page.click("form.finder button[type=submit]")

    assert found.value.request.headers.get("hx-request") == "true"
    page.wait_for_selector("#centre-results li")
    assert page.url.endswith("/fr/centres?postcode=9000")  # hx-push-url
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.problems == []


def test_the_browser_reports_an_inline_style_as_a_violation(page, app):
    """The check above would see a violation: an inline style on our page
    is refused and reported on the console."""
    page.goto("/nl/")
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', "
        '\'<div style="color: red">x</div><img src=x onerror="alert(1)">\')'
    )
    page.wait_for_timeout(300)

    assert any("Content Security Policy" in problem for problem in page.problems)
