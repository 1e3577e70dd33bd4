"""Tables on a 360 px wide phone, in Chromium: the personal data page's
label-and-value tables stack, label above value, so that nothing is clipped
and nothing scrolls sideways."""

import requests
from bs4 import BeautifulSoup

from tests.browser.helpers import (
    Person,
    new_person,
    personal_path,
    register_by_http,
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
