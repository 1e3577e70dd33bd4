"""Centre staff in Chromium: log in as run.py's demo account, open a
last-minute campaign through the campaign form, and watch the live screen
(htmx polling) show the invitation the worker sends to the oldest person
available at that centre."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.browser.helpers import (
    DEMO_PASSWORD,
    axe_violations,
    mail_to,
    new_person,
    register_by_http,
    wait_until_accepted,
    written_day,
)


def test_staff_log_in_and_open_a_campaign(new_page, live_server):
    tomorrow = (datetime.now(ZoneInfo("Europe/Brussels")) + timedelta(days=1)).date()
    # Born in 1930: older than everyone the other browser tests register.
    person = new_person("Godelieve", born="300101")
    status_path, _ = register_by_http(
        live_server.base, person, slot=f"{tomorrow.isoformat()}:morning"
    )
    wait_until_accepted(live_server.base, status_path, "nl")

    page = new_page("/staff/login")
    page.fill("#username", "staff@lmb.test")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(re.compile(r"/centre/"))

    page.get_by_role("link", name="Een campagne openen").click()
    page.wait_for_url(re.compile(r"/centre/campaigns/new"))
    assert axe_violations(page) == []
    page.fill("#day", tomorrow.isoformat())
    page.fill("#start_time", "08:00")
    page.fill("#end_time", "13:00")
    page.fill("#slots", "1")
    page.get_by_role("button", name="De campagne openen en beginnen uitnodigen").click()

    page.wait_for_url(re.compile(r"/centre/campaigns/\d+"))
    assert page.get_by_text("De campagne is geopend.").count() == 1
    # The live screen refreshes itself until the worker has invited someone.
    invited = page.locator("#live tr", has_text="In totaal uitgenodigd").locator("td")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#live tr')].some(r =>"
        " r.textContent.includes('In totaal uitgenodigd')"
        " && r.querySelector('td').textContent.trim() === '1')",
        timeout=60_000,
    )
    assert invited.inner_text().strip() == "1"
    assert axe_violations(page) == []

    invitation = mail_to(live_server.base, person.email, subject="Uitnodiging")
    assert "Vaccinatiecentrum Gent" in invitation
    assert f"Dag: {written_day(tomorrow, 'nl')} {tomorrow.year}" in invitation
    assert "tussen 08:00 en 13:00" in invitation

    # On a phone (360 px) every column of the live screen is in view: the
    # minutes left to book must not hide behind a sideways scroll.
    campaign_path = page.url.removeprefix(live_server.base)
    for lang in ("nl", "fr", "de"):
        page.goto(f"/staff/language/{lang}?next={campaign_path}")
        page.set_viewport_size({"width": 360, "height": 740})
        page.locator("#invitations").wait_for()
        table_width, box_width = page.evaluate(
            "() => [document.querySelector('#invitations').scrollWidth,"
            " document.querySelector('#invitations').parentElement.clientWidth]"
        )
        assert table_width <= box_width, lang
