"""Screenshots of the registration page on a 360 px wide phone, in each
language, empty and with its errors, for people to look at:
test-artifacts/screenshots/register-<lang>[-errors]-360.png."""

from pathlib import Path

import pytest

from tests.browser.helpers import scroll_width

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_registration_page_screenshots_at_360_px(new_page, lang):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(f"/{lang}/register", width=360, height=780, locale=f"{lang}-BE")
    page.screenshot(path=SCREENSHOTS / f"register-{lang}-360.png", full_page=True)
    assert scroll_width(page) <= 360

    page.click("form.registration button[type=submit]:not([name])")
    page.locator("#error-summary").wait_for()
    page.screenshot(
        path=SCREENSHOTS / f"register-{lang}-errors-360.png", full_page=True
    )
    assert scroll_width(page) <= 360
