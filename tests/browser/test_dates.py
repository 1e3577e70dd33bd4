"""Dates as each language writes them, on the pages and in the e-mail:
'vrijdag 4 december', 'vendredi 4 décembre', 'Freitag, 4. Dezember'.
Through the real server; no browser needed."""

from datetime import date

import pytest
import requests
from bs4 import BeautifulSoup

from tests.browser.helpers import (
    mail_to,
    new_person,
    personal_path,
    register_by_http,
    wait_until_accepted,
    written_day,
)

PARTS = {
    "nl": {"morning": "Voormiddag", "afternoon": "Namiddag", "evening": "Avond"},
    "fr": {"morning": "Matin", "afternoon": "Après-midi", "evening": "Soir"},
    "de": {"morning": "Vormittag", "afternoon": "Nachmittag", "evening": "Abend"},
}
WEEK_OF = {"nl": "Week vanaf", "fr": "Semaine du", "de": "Woche ab"}
# Within a sentence: 'vrijdag 4 december: avond', 'vendredi 4 décembre : soir'.
IN_TEXT = {
    "nl": {"morning": "voormiddag", "afternoon": "namiddag", "evening": "avond"},
    "fr": {"morning": "matin", "afternoon": "après-midi", "evening": "soir"},
    "de": {"morning": "Vormittag", "afternoon": "Nachmittag", "evening": "Abend"},
}
COLON = {"nl": ": ", "fr": "\u00a0: ", "de": ": "}


def slot_day(value):
    """'2026-12-04:evening' -> (date(2026, 12, 4), 'evening')."""
    day, part = value.split(":")
    return date.fromisoformat(day), part


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_calendar_names_every_day_the_languages_way(live_server, lang):
    html = requests.get(f"{live_server.base}/{lang}/register", timeout=10).text
    page = BeautifulSoup(html, "html.parser")

    boxes = page.select("input[name=availability]")
    assert len(boxes) >= 3 * 13
    for box in boxes:
        day, part = slot_day(box["value"])
        label = page.find("label", attrs={"for": box["id"]}).get_text(strip=True)
        assert label == f"{written_day(day, lang)}, {PARTS[lang][part]}"
    for table in page.select("table.calendar-week"):
        first = date.fromisoformat(
            table.select_one("button[value^='day:']")["value"].removeprefix("day:")
        )
        caption = table.caption.find(string=True, recursive=False).strip()
        assert caption == f"{WEEK_OF[lang]} {written_day(first, lang)}"


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_personal_page_and_confirmation_write_dates_the_languages_way(
    live_server, lang
):
    person = new_person("Lotte")
    postcode, centre = ("4700", "dg-eupen") if lang == "de" else ("9000", None)
    status_path, slot = register_by_http(
        live_server.base, person, lang, postcode=postcode, centre=centre
    )
    wait_until_accepted(live_server.base, status_path, lang)
    day, part = slot_day(slot)
    expected = f"{written_day(day, lang)}{COLON[lang]}{IN_TEXT[lang][part]}"

    path = personal_path(live_server.base, person.email)
    page = BeautifulSoup(
        requests.get(live_server.base + path, timeout=10).text, "html.parser"
    )
    shown = [li.get_text(strip=True) for li in page.select("main li")]
    mail = mail_to(live_server.base, person.email)

    assert page.html["lang"] == lang
    assert expected in shown
    assert f"- {expected}" in mail
