"""The privacy page, in three languages, linked from every page's footer."""

import pytest
from bs4 import BeautifulSoup

TITLES = {
    "nl": "Privacy: uw gegevens op de reservelijst",
    "fr": "Vie privée\u00a0: vos données sur la liste de réserve",
    "de": "Datenschutz: Ihre Daten auf der Reserveliste",
}
BOOKED_DAYS = {
    "nl": "3 dagen nadat u",
    "fr": "3 jours après avoir",
    "de": "3 Tage nachdem Sie",
}


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_the_page_speaks_each_language(client, lang):
    response = client.get(f"/{lang}/privacy")

    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.html["lang"] == lang
    assert page.h1.get_text() == TITLES[lang]
    assert BOOKED_DAYS[lang] in page.get_text(" ")
    rows = page.select("#data ~ div table tbody tr")
    assert len(rows) == 11


def test_the_page_states_the_configured_retention(make_app):
    client = make_app(
        RETENTION_AFTER_BOOKING_DAYS=5, RETENTION_AFTER_LAPSE_DAYS=1
    ).test_client()

    text = BeautifulSoup(
        client.get("/nl/privacy").get_data(as_text=True), "html.parser"
    ).get_text(" ")

    assert "5 dagen nadat u" in text
    assert "1 dag nadat" in text


@pytest.mark.parametrize("path", ["/nl/", "/fr/info", "/de/centres"])
def test_every_page_links_to_it_in_its_language(client, path):
    page = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")

    footer = page.find("footer")
    assert footer.find("a", href=f"/{path.split('/')[1]}/privacy")
