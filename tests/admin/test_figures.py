"""The public figures page, in three languages, cached for an hour."""

import pytest

from app.extensions import db
from app.models import Campaign
from tests.admin import dataset
from tests.admin.conftest import page


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("nl", "De reservelijst in cijfers"),
        ("fr", "La liste de réserve en chiffres"),
        ("de", "Die Reserveliste in Zahlen"),
    ],
)
def test_figures_in_three_languages(client, data, lang, title):
    response = client.get(f"/{lang}/figures")

    assert response.status_code == 200
    soup = page(response)
    assert soup.html["lang"] == lang
    assert soup.h1.get_text(strip=True) == title
    assert soup.select_one("#people-on-list").get_text() == "14"
    assert soup.select_one("#invitations-sent").get_text() == "8"
    assert soup.select_one("#doses-booked").get_text() == "8"
    # Two centres: a small number, shown as "<5".
    assert soup.select_one("#centres-taking-part").get_text() == "<5"


def test_figures_are_cached(app, client, data):
    client.get("/nl/figures")
    with app.app_context():
        for day in (20, 21, 22, 23):
            db.session.add(dataset.campaign(dataset.LIEGE, day))
        db.session.commit()
        assert db.session.query(Campaign).count() == 7
        db.session.remove()

    soup = page(client.get("/nl/figures"))

    assert soup.select_one("#centres-taking-part").get_text() == "<5"
