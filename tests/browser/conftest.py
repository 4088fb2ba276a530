"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against the live server.

Every page a test opens is watched: a console error, an uncaught exception or a CSP violation
fails the test at teardown, so a stray inline script or a missing vendored file breaks the suite.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in the test thread; Django's ORM would otherwise
# refuse to run there (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO_ROOT / "test-results"  # git-ignored; screenshots for a human to look at
# A bound on waiting for the page, not a speed check: two xdist workers share two cores with
# the live servers, and a first dashboard load computes its figures.
TIMEOUT_MS = 30_000

# Report CSP violations as console errors with a recognisable prefix. Init scripts are injected
# by the driver and are not subject to the page's CSP.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
                (event.blockedURI || "inline") + " at " + event.sourceFile + ":" +
                event.lineNumber);
});
"""


def _cast_password(config: pytest.Config) -> str:
    """PASSWORD from tests/conftest.py. Both conftests are top-level modules named `conftest`,
    so `from conftest import PASSWORD` would be ambiguous: ask pytest for the loaded module."""
    root_conftest = REPO_ROOT / "tests" / "conftest.py"
    for plugin in config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", "") or "/") == root_conftest:
            return plugin.PASSWORD
    raise RuntimeError(f"{root_conftest} is not loaded")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser):
    """A fresh context per test (no cookies carried over), watched for errors."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    problems: list[str] = []

    def on_console(message) -> None:
        location = message.location or {}
        if message.type == "error":
            problems.append(
                f"console error: {message.text} ({location.get('url', '?')}:"
                f"{location.get('lineNumber', '?')})"
            )

    def on_page_error(error) -> None:
        problems.append(f"uncaught exception: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    yield page
    context.close()
    if problems:
        pytest.fail("the browser reported errors:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def results_dir() -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR


@pytest.fixture
def signed_in(request, transactional_db, live_server, cast, page) -> Callable[..., object]:
    """`signed_in("grid_worker")` signs that cast member in through the login form and
    returns the page, on the dashboard. The data is committed (transactional_db), so the
    live server's thread sees it."""

    cast_password = _cast_password(request.config)

    def _sign_in(username: str = "district_admin", password: str | None = None):
        page.goto(live_server.url + "/accounts/login/")
        form = page.locator("#login-form")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password or cast_password)
        form.locator("button[type=submit]").click()
        page.wait_for_url(live_server.url + "/")
        page.locator("[data-chart-source]").wait_for()
        return page

    return _sign_in
