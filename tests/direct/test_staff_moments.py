"""Centre staff announce open moments through the HTTP form."""

from datetime import datetime, time, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.extensions import db
from app.models import MomentState, OpenMoment, Role
from app.services import availability
from tests.direct.conftest import GENT, local_today


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def moment_form(days=1, **overrides):
    data = {
        "day": (local_today() + timedelta(days=days)).isoformat(),
        "start_time": "15:00",
        "end_time": "19:00",
        "slots": "12",
    }
    data.update(overrides)
    return data


def stored_moments(app):
    """The moments in the database, as plain values (an app context of its
    own: requests must not share the test's, nor its logged-in user)."""
    with app.app_context():
        moments = db.session.scalars(select(OpenMoment).order_by(OpenMoment.id))
        rows = [
            {
                "id": m.id,
                "centre": m.centre.code,
                "day": m.day,
                "slots": m.slots,
                "claimed": m.claimed,
                "starts_at": m.starts_at,
                "ends_at": m.ends_at,
                "state": m.state,
            }
            for m in moments
        ]
        db.session.remove()
    return rows


def errors(response):
    page = soup(response)
    return {
        p.get("id"): p.get_text(" ", strip=True) for p in page.select("p.error-message")
    }


def test_only_staff_and_operators_see_the_pages(client, staff_client):
    anonymous = client.get("/centre/moments")
    assert anonymous.status_code == 302
    assert "/staff/login" in anonymous.headers["Location"]

    doctor = staff_client(role=Role.DOCTOR)
    assert doctor.get("/centre/moments").status_code == 403
    assert doctor.post("/centre/moments", data=moment_form()).status_code == 403


@pytest.mark.parametrize(
    ("lang", "title", "button"),
    [
        ("nl", "Een open moment aankondigen", "Het moment aankondigen"),
        ("fr", "Annoncer un moment ouvert", "Annoncer le moment"),
        ("de", "Einen offenen Termin ankündigen", "Den Termin ankündigen"),
    ],
)
def test_staff_announce_a_moment_in_each_language(
    staff_client, app, lang, title, button
):
    client = staff_client(lang=lang)

    page = soup(client.get("/centre/moments/new"))
    assert page.h1.get_text(strip=True) == title
    assert page.find("button", string=button)
    days = [o["value"] for o in page.select("select#day option")]
    today = local_today()
    assert days == [(today + timedelta(days=n)).isoformat() for n in range(6)]
    assert page.find("select", id="centre") is None  # staff: their own centre
    # Time pickers, as on the campaign form.
    assert page.find("input", id="start_time")["type"] == "time"
    assert page.find("input", id="end_time")["type"] == "time"

    response = client.post("/centre/moments", data=moment_form(days=5))

    assert response.status_code == 303
    assert response.headers["Location"] == "/centre/moments"
    [moment] = stored_moments(app)
    day = today + timedelta(days=5)
    assert (moment["centre"], moment["day"], moment["slots"], moment["claimed"]) == (
        GENT,
        day,
        12,
        0,
    )
    starts = datetime.combine(day, time(15), tzinfo=availability.BRUSSELS)
    assert moment["starts_at"] == starts
    assert moment["ends_at"] - moment["starts_at"] == timedelta(hours=4)
    assert moment["state"] == MomentState.OPEN


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("nl", "Kies een dag van vandaag tot 5 dagen vooruit."),
        ("fr", "Choisissez un jour entre aujourd’hui et dans 5 jours."),
        ("de", "Wählen Sie einen Tag von heute bis in 5 Tagen."),
    ],
)
def test_a_moment_six_days_ahead_is_refused(staff_client, app, lang, message):
    client = staff_client(lang=lang)

    response = client.post("/centre/moments", data=moment_form(days=6))

    assert response.status_code == 422
    assert errors(response) == {"day-error": f"{_error_prefix(lang)} {message}"}
    assert soup(response).find(id="error-summary")
    assert stored_moments(app) == []


def _error_prefix(lang):
    return {"nl": "Fout:", "fr": "Erreur\u00a0:", "de": "Fehler:"}[lang]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"day": "yesterday"}, "day"),
        ({"start_time": "25:00"}, "start_time"),
        ({"end_time": ""}, "end_time"),
        ({"end_time": "14:00"}, "end_time"),
        ({"slots": "0"}, "slots"),
        ({"slots": "501"}, "slots"),
        ({"slots": "ten"}, "slots"),
    ],
)
def test_bad_fields_are_shown_next_to_the_field(staff_client, app, overrides, field):
    client = staff_client(lang="nl")

    response = client.post("/centre/moments", data=moment_form(**overrides))

    assert response.status_code == 422
    assert list(errors(response)) == [f"{field}-error"]
    assert stored_moments(app) == []


def test_a_moment_in_the_past_is_refused(staff_client, app):
    client = staff_client(lang="nl")
    yesterday = (local_today() - timedelta(days=1)).isoformat()

    response = client.post("/centre/moments", data=moment_form(day=yesterday))

    assert response.status_code == 422
    assert list(errors(response)) == ["day-error"]


def test_a_moment_that_has_ended_today_is_refused(staff_client, app):
    now = availability.local_now()
    if now.hour < 1:
        pytest.skip("needs an hour of today behind us")
    client = staff_client(lang="fr")

    response = client.post(
        "/centre/moments",
        data=moment_form(days=0, start_time="00:00", end_time=now.strftime("%H:%M")),
    )

    assert response.status_code == 422
    assert list(errors(response)) == ["end_time-error"]


def test_operators_choose_the_centre(staff_client, app):
    client = staff_client(role=Role.OPERATOR)

    page = soup(client.get("/centre/moments/new"))
    assert page.find("select", id="centre").find("option", value="dg-eupen")

    missing = client.post("/centre/moments", data=moment_form())
    assert missing.status_code == 422
    assert list(errors(missing)) == ["centre-error"]

    done = client.post("/centre/moments", data=moment_form(centre="dg-eupen"))
    assert done.status_code == 303
    assert [m["centre"] for m in stored_moments(app)] == ["dg-eupen"]


def test_the_list_shows_the_centres_moments_and_refreshes_itself(
    staff_client, make_moment, app
):
    mine = make_moment(slots=7)
    make_moment(code="dg-eupen", slots=3)
    client = staff_client()

    page = soup(client.get("/centre/moments"))
    rows = page.select("#moments-table tbody tr")
    assert [row["id"] for row in rows] == [f"moment-{mine}"]
    cells = [td.get_text(" ", strip=True) for td in rows[0].find_all("td")]
    assert cells[1:6] == ["van 15:00 tot 19:00", "7", "0", "0", "7"]

    fragment = client.get("/centre/moments", headers={"HX-Request": "true"})
    assert "HX-Request" in fragment.headers["Vary"]
    table = soup(fragment)
    assert table.find(id="moments-table")["hx-trigger"] == "every 10s"
    assert table.find("h1") is None

    operator = staff_client(role=Role.OPERATOR)
    assert len(soup(operator.get("/centre/moments")).select("tbody tr")) == 2


def test_staff_close_their_own_moments_only(staff_client, make_moment, app):
    mine = make_moment()
    other = make_moment(code="dg-eupen")
    client = staff_client()

    assert client.post(f"/centre/moments/{other}/close").status_code == 403
    response = client.post(f"/centre/moments/{mine}/close")

    assert response.status_code == 303
    states = {m["id"]: m["state"] for m in stored_moments(app)}
    assert states == {mine: MomentState.CLOSED, other: MomentState.OPEN}
    assert client.post("/centre/moments/999999/close").status_code == 404
