"""Tables on a 360 px wide phone, in Chromium: the personal data page's
label-and-value tables stack, label above value, so that nothing is clipped
and nothing scrolls sideways; staff tables fit or, when too wide, scroll
sideways under a caption that stays in view."""

import dataclasses
import re

import requests
from bs4 import BeautifulSoup

from tests.browser.helpers import (
    DEMO_PASSWORD,
    Person,
    mail_to,
    new_person,
    personal_path,
    register_by_http,
    scroll_width,
    wait_until_accepted,
)

# Per table: its width, the width of the box it sits in, and on how many
# lines its longest row puts its cells (1: side by side; 2: one above the other).
TABLE_WIDTHS = """selector => [...document.querySelectorAll(selector)].map(table => [
    table.scrollWidth,
    table.parentElement.clientWidth,
    Math.max(...[...table.rows].map(row =>
        new Set([...row.cells].map(cell => cell.getBoundingClientRect().top)).size)),
])"""


def every_day_part(base, lang):
    page = BeautifulSoup(
        requests.get(f"{base}/{lang}/register", timeout=10).text, "html.parser"
    )
    return [
        box["value"] for box in page.find_all("input", attrs={"name": "availability"})
    ]


def test_personal_data_tables_stack_at_360_px(new_page, live_server):
    # Long values: an e-mail address and names without spaces, and every day
    # part of the coming two weeks.
    someone = new_person("Marie-Christine")
    person = Person(
        ssin=someone.ssin,
        last_name="Vandenbroucke-Vanderstraeten",
        first_name=someone.first_name,
        email="marie-christine.vandenbroucke-vanderstraeten"
        + someone.email.removeprefix("person"),
        mobile=someone.mobile,
    )
    status_path, _ = register_by_http(
        live_server.base, person, slot=every_day_part(live_server.base, "nl")
    )
    wait_until_accepted(live_server.base, status_path, "nl")
    data_path = personal_path(live_server.base, person.email) + "/data"

    page = new_page(data_path, width=360, height=640)

    stacked = page.evaluate(TABLE_WIDTHS, "table.stacked")
    assert len(stacked) == 2  # the registration and its one person
    for table_width, box_width, lines in stacked:
        assert table_width <= box_width
        assert lines == 2
    assert person.email in page.inner_text("table.stacked >> nth=1")

    # On a wide screen they are tables of two columns.
    page.set_viewport_size({"width": 1280, "height": 800})
    for table_width, box_width, lines in page.evaluate(TABLE_WIDTHS, "table.stacked"):
        assert table_width <= box_width
        assert lines == 1


def test_the_longest_name_allowed_breaks_instead_of_widening_the_page(
    new_page, live_server
):
    someone = new_person("Jean-Baptiste")
    # 100 letters without a space: the most the form takes.
    person = dataclasses.replace(someone, last_name="Van" + "d" * 94 + "ert")
    status_path, _ = register_by_http(live_server.base, person)
    wait_until_accepted(live_server.base, status_path, "nl")
    personal = personal_path(live_server.base, person.email)

    for path in (personal, personal + "/data"):
        page = new_page(path, width=360, height=640)
        assert scroll_width(page) <= 360, path
        assert person.last_name in page.inner_text("main").replace("\n", "")


# Where the caption's text is, and where the box the table scrolls in is.
CAPTION_AND_BOX = """selector => {
    const table = document.querySelector(selector);
    const text = document.createRange();
    text.selectNodeContents(table.caption);
    const caption = text.getBoundingClientRect();
    const box = table.parentElement.getBoundingClientRect();
    return [caption.left, caption.right, box.left, box.right];
}"""


def log_in(new_page, username):
    page = new_page("/staff/login", width=360, height=740)
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/(centre|doctor|admin)/"))
    return page


def assert_caption_in_view(page, selector):
    """At 360 px and on a wide screen, with the table scrolled to its end."""
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 740})
        page.evaluate(
            "s => { const box = document.querySelector(s).parentElement;"
            " box.scrollLeft = box.scrollWidth; }",
            selector,
        )
        left, right, box_left, box_right = page.evaluate(CAPTION_AND_BOX, selector)
        assert box_left - 1 <= left < right <= box_right + 1, width


def in_each_language(page, path):
    for lang in ("nl", "fr", "de"):
        page.goto(f"/staff/language/{lang}?next={path}")
        yield lang


def test_coming_moments_keep_their_caption_in_view(new_page):
    page = log_in(new_page, "staff@lmb.test")
    page.goto("/centre/moments/new")
    page.select_option("#day", index=1)
    page.fill("#start_time", "09:00")
    page.fill("#end_time", "12:00")
    page.fill("#slots", "12")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/centre/moments$"))

    for _lang in in_each_language(page, "/centre/moments"):
        assert_caption_in_view(page, "#moments-table table")


def test_doctors_patient_list_keeps_its_caption_in_view(new_page):
    page = log_in(new_page, "doctor@lmb.test")
    page.goto("/doctor/patients/new")
    patient = new_person("Jef")
    page.fill("#ssin", patient.ssin)
    page.fill("#last_name", patient.last_name)
    page.fill("#first_name", patient.first_name)
    page.fill("#email", patient.email)
    page.fill("#mobile", patient.mobile)
    page.fill("#postcode", "9000")
    page.locator("#centres input[name=centres]").first.check()
    page.locator("input[name=availability]").first.check()
    page.locator("input[name=recipient]").first.check()
    page.click("form.registration button[type=submit]:not([name])")
    page.wait_for_url(re.compile(r"/doctor/\?done="))

    for _lang in in_each_language(page, "/doctor/"):
        assert_caption_in_view(page, "table.patients")


def test_development_mailbox_fits_360_px(new_page, live_server):
    person = new_person("Els")
    register_by_http(live_server.base, person)
    mail_to(live_server.base, person.email)
    page = log_in(new_page, "operator@lmb.test")

    for lang in in_each_language(page, "/dev/mail"):
        [(table_width, box_width, _lines)] = page.evaluate(TABLE_WIDTHS, "main table")
        assert table_width <= box_width, lang
