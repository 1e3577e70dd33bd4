"""Fixtures of the browser tests: the app as `make run` starts it, and
Debian's headless Chromium driven by Playwright.

When /usr/bin/chromium is missing, the tests that need it are left out, with
one message at the end of the run (`.ci/run` installs it, so CI always runs
them); those that only talk HTTP still run. Playwright's own browser
downloads are never used.
"""

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.live_server import LiveServer, own_schema, run_py_environ

CHROMIUM = Path("/usr/bin/chromium")
SKIP_MESSAGE = (
    "browser tests skipped: no Chromium at /usr/bin/chromium "
    "(apt-get install chromium chromium-driver)"
)
_left_out = []
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


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    here = Path(__file__).parent
    _left_out.extend(
        item
        for item in items
        if here in item.path.parents and "browser" in getattr(item, "fixturenames", ())
    )
    if _left_out:
        items[:] = [item for item in items if item not in _left_out]
        config.hook.pytest_deselected(items=list(_left_out))


def pytest_terminal_summary(terminalreporter):
    if _left_out:
        terminalreporter.write_line(f"{len(_left_out)} {SKIP_MESSAGE}", yellow=True)


@pytest.fixture(scope="package")
def live_server(test_environ, tmp_path_factory):
    """One run.py for the browser tests, under a queue prefix (and, on
    PostgreSQL, in a schema) of its own: other tests empty their tables after
    each test, and their jobs must not reach this server's worker."""
    prefix = test_environ["RQ_QUEUE_PREFIX"] + "-web"
    # A browser test posts more forms a minute than a person does.
    overrides = {"RQ_QUEUE_PREFIX": prefix, "RATELIMIT_PUBLIC_FORMS": "300 per minute"}
    with ExitStack() as stack:
        if os.environ.get("DATABASE_URL"):
            schema = prefix.replace("-", "_")
            overrides["DATABASE_URL"] = stack.enter_context(
                own_schema(os.environ["DATABASE_URL"], schema)
            )
        folder = tmp_path_factory.mktemp("browser-server")
        yield stack.enter_context(
            LiveServer(run_py_environ(test_environ, **overrides), folder)
        )


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(SKIP_MESSAGE)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh browser context (no cookies):
    new_page("/nl/", js=False, width=320, scale=2, locale="fr-BE")."""
    contexts = []

    def open_page(
        path=None, *, js=True, width=1280, height=800, scale=1, locale="nl-BE"
    ):
        context = browser.new_context(
            base_url=live_server.base,
            java_script_enabled=js,
            viewport={"width": width, "height": height},
            device_scale_factor=scale,
            locale=locale,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        # The page has the browser's focus, as a page a person uses would:
        # Chromium applies `autofocus` only in a focused page.
        page.bring_to_front()
        if path is not None:
            page.goto(path)
        return page

    yield open_page
    for context in contexts:
        context.close()
