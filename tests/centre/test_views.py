"""The centre pages over HTTP: who may see and do what, the campaign form,
the live screen and its buttons."""

from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.centre.links import campaign_links
from app.extensions import db
from app.models import AuditEvent, Campaign, Invitation, Role
from app.queue import get_queue, job_id
from app.services import availability, campaigns, invitations
from app.services.availability import BRUSSELS
from tests.centre import builders
from tests.centre.builders import GENT, LEUVEN
from tests.centre.conftest import log_in


def tomorrow():
    return (datetime.now(BRUSSELS) + timedelta(days=1)).date()


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def future_campaign(data, vcdb, *births, code=GENT, slots=2, wave=True):
    """A campaign tomorrow 15:00-19:00 at `code` for people born in `births`
    (available tomorrow afternoon), with its first wave run. Returns
    (campaign id, [invitation ids])."""

    def make():
        day = tomorrow()
        for birth in births:
            builders.add_entry(
                birth, centres=(code,), parts=((day, availability.AFTERNOON),)
            )
        campaign_id = builders.open_campaign(
            code, day=day, slots=slots, now=datetime.now(UTC)
        )
        if wave:
            with builders.service(vcdb) as client:
                campaigns.invite_wave(
                    campaign_id,
                    service=client,
                    links=campaign_links(),
                    now=datetime.now(UTC),
                )
        return campaign_id, [i.id for i in builders.invitations_of(campaign_id)]

    return data(make)


def queued(data, kind, *ids):
    return data(lambda: job_id(kind, *ids) in get_queue("high").job_ids)


# Who may see and do what -----------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/centre/")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/staff/login"


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.AGENT, Role.MONITOR])
def test_other_roles_get_403(app, make_user, role):
    make_user("someone@lmb.test", role, None)
    client = log_in(app.test_client(), "someone@lmb.test")

    assert client.get("/centre/").status_code == 403
    assert client.get("/centre/campaigns/new").status_code == 403


def test_the_form_starts_at_today_and_offers_the_next_14_days(staff):
    today = datetime.now(BRUSSELS).date()

    day = soup(staff.get("/centre/campaigns/new")).find("input", id="day")

    assert day["type"] == "date"
    assert day["value"] == today.isoformat()
    assert day["min"] == today.isoformat()
    assert day["max"] == (today + timedelta(days=14)).isoformat()


def test_staff_see_the_campaigns_of_their_centre_only(staff, data, vcdb):
    own, _ = future_campaign(data, vcdb, wave=False)
    other, _ = future_campaign(data, vcdb, code=LEUVEN, wave=False)

    page = soup(staff.get("/centre/"))

    links = [a["href"] for a in page.select("table a")]
    assert links == [f"/centre/campaigns/{own}"]
    assert "Gent" in page.find("h1").get_text()
    assert page.find("select", id="centre-picker") is None
    # Asking for another centre changes nothing for centre staff.
    page = soup(staff.get("/centre/?centre=vl-leuven-brabanthal"))
    assert [a["href"] for a in page.select("table a")] == [f"/centre/campaigns/{own}"]
    assert staff.get(f"/centre/campaigns/{other}").status_code == 403


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("invite", {}),
        ("per-slot", {"per_slot": "3"}),
        ("close", {}),
    ],
)
def test_staff_cannot_act_on_another_centre(staff, data, vcdb, path, form):
    other, _ = future_campaign(data, vcdb, code=LEUVEN, wave=False)
    data(lambda: get_queue("high").empty())

    response = staff.post(f"/centre/campaigns/{other}/{path}", data=form)

    assert response.status_code == 403
    stored = data(lambda: db.session.get(Campaign, other))
    assert (stored.state, stored.per_slot) == ("open", 1)
    assert not queued(data, "invite-wave", other)


def test_operators_pick_any_centre(operator, data, vcdb):
    leuven, _ = future_campaign(data, vcdb, code=LEUVEN, wave=False)

    page = soup(operator.get("/centre/"))
    assert page.find("select", id="centre-picker")
    assert page.select("table a") == []

    page = soup(operator.get("/centre/?centre=vl-leuven-brabanthal"))
    assert [a["href"] for a in page.select("table a")] == [
        f"/centre/campaigns/{leuven}"
    ]
    assert operator.get(f"/centre/campaigns/{leuven}").status_code == 200


def test_every_post_needs_its_csrf_token(make_app, make_user, data, vcdb):
    strict = make_app(WTF_CSRF_ENABLED=True)
    make_user("staff@lmb.test")
    campaign_id, _ = future_campaign(data, vcdb, wave=False)
    client = strict.test_client()
    page = soup(client.get("/staff/login"))
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    client.post(
        "/staff/login",
        data={
            "username": "staff@lmb.test",
            "password": "Correct horse battery 9",
            "csrf_token": token,
        },
    )

    for path in ("invite", "per-slot", "close"):
        response = client.post(f"/centre/campaigns/{campaign_id}/{path}")
        assert response.status_code == 400, path
    assert client.post("/centre/campaigns/new", data={}).status_code == 400

    page = soup(client.get(f"/centre/campaigns/{campaign_id}"))
    token = page.select_one("form input[name=csrf_token]")["value"]
    response = client.post(
        f"/centre/campaigns/{campaign_id}/close", data={"csrf_token": token}
    )
    assert response.status_code == 303
    with strict.app_context():
        db.engine.dispose()


# Opening a campaign -------------------------------------------------------------


def campaign_form(**changes):
    values = {
        "day": tomorrow().isoformat(),
        "start_time": "15:00",
        "end_time": "19:00",
        "slots": "12",
        "min_age": "",
        "margin_minutes": "30",
    }
    values.update(changes)
    return values


def test_opening_a_campaign_stores_it_and_starts_a_wave(staff, data):
    response = staff.post("/centre/campaigns/new", data=campaign_form(min_age="65"))

    assert response.status_code == 303
    stored = data(lambda: db.session.scalar(select(Campaign)))
    assert response.headers["Location"] == f"/centre/campaigns/{stored.id}?done=opened"
    day = tomorrow()
    expected_start = datetime.combine(day, time(15), tzinfo=BRUSSELS).astimezone(UTC)
    expected_end = datetime.combine(day, time(19), tzinfo=BRUSSELS).astimezone(UTC)
    assert (stored.day, stored.starts_at, stored.ends_at) == (
        day,
        expected_start,
        expected_end,
    )
    assert (stored.slots, stored.min_age, stored.margin_minutes) == (12, 65, 30)
    assert stored.centre_id == data(builders.centre_id)
    assert queued(data, "invite-wave", stored.id)


def test_the_form_shows_every_error_in_the_staff_language(staff):
    staff.set_cookie("lang", "fr")
    response = staff.post(
        "/centre/campaigns/new",
        data=campaign_form(
            day=(tomorrow() + timedelta(days=20)).isoformat(),
            end_time="14:00",
            slots="0",
            margin_minutes="abc",
        ),
    )

    assert response.status_code == 422
    page = soup(response)
    summary = [li.get_text(strip=True) for li in page.select(".error-summary li")]
    assert summary == [
        "Choisissez une date au maximum 14 jours après aujourd’hui.",
        "La fin doit être plus tard que le début.",
        "Indiquez un nombre de places de 1 à 500.",
        "Indiquez une marge de 5 à 180 minutes.",
    ]
    links = [a["href"] for a in page.select(".error-summary a")]
    assert links == ["#day", "#end_time", "#slots", "#margin_minutes"]
    assert page.find(id="slots")["aria-invalid"] == "true"
    assert page.find(id="slots")["value"] == "0"


def test_unreadable_values_are_named(staff):
    response = staff.post(
        "/centre/campaigns/new",
        data=campaign_form(day="11/04/2021", start_time="vijf uur", slots="twelve"),
    )

    assert response.status_code == 422
    errors = [
        p.get_text(" ", strip=True) for p in soup(response).select(".error-message")
    ]
    assert len(errors) == 3


def test_operators_choose_the_centre(operator, data):
    response = operator.post("/centre/campaigns/new", data=campaign_form())
    assert response.status_code == 422
    assert soup(response).find(id="centre")["aria-invalid"] == "true"

    response = operator.post(
        "/centre/campaigns/new", data=campaign_form(centre="vl-leuven-brabanthal")
    )
    assert response.status_code == 303
    stored = data(lambda: db.session.scalar(select(Campaign)))
    assert stored.centre_id == data(builders.centre_id, LEUVEN)


def test_times_can_be_typed_the_belgian_way(staff, data):
    response = staff.post(
        "/centre/campaigns/new", data=campaign_form(start_time="15u30", end_time="19h")
    )

    assert response.status_code == 303
    stored = data(lambda: db.session.scalar(select(Campaign)))
    assert (stored.start_time, stored.end_time) == (time(15, 30), time(19))


# The live screen --------------------------------------------------------------------


def test_the_live_screen_counts_and_shows_no_personal_data(staff, data, vcdb):
    campaign_id, (first, second) = future_campaign(data, vcdb, 1930, 1940, 1950)
    sent_at = datetime.now(UTC) - timedelta(minutes=10)

    def deliver_first():
        invitations.message_delivered(first, sent_at)
        db.session.commit()

    data(deliver_first)

    response = staff.get(f"/centre/campaigns/{campaign_id}")

    assert response.status_code == 200
    page = soup(response)
    rows = [
        [td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in page.select("#invitations tbody tr")
    ]
    assert [row[:2] for row in rows] == [["1", "1"], ["2", "1"]]
    assert rows[0][3] in ("20", "19")  # minutes left, rounded up
    assert rows[1][3] == ""  # still being sent
    text = page.get_text()
    for secret in ("Person1", "Peeters", "maria.peeters", "STORED-", "+3247"):
        assert secret not in text
    live = page.find(id="live")
    assert live["hx-trigger"] == "every 5s"
    assert live["hx-get"] == f"/centre/campaigns/{campaign_id}"
    assert live.find("a", href=f"/centre/campaigns/{campaign_id}")  # no-JS refresh
    # Nothing personal was shown, so no read of an entry is recorded.
    actions = data(lambda: db.session.scalars(select(AuditEvent.action)).all())
    assert not [action for action in actions if action.startswith("entry")]


def test_the_live_screen_says_when_nobody_is_left_to_invite(staff, data, vcdb):
    # One slot and one person in line: invited, and nobody left behind them.
    campaign_id, (only,) = future_campaign(data, vcdb, 1930, slots=1)
    page = soup(staff.get(f"/centre/campaigns/{campaign_id}"))
    assert page.find(id="nobody-left") is None  # no room: nothing to say

    def cannot_come():
        invitations.decline(only, now=datetime.now(UTC))
        db.session.commit()

    data(cannot_come)
    page = soup(staff.get(f"/centre/campaigns/{campaign_id}"))

    assert "Er is niemand meer om uit te nodigen" in page.find(id="nobody-left").text


def test_nobody_left_shows_while_an_invitation_waits(staff, data, vcdb):
    # Two slots, one person in line: invited and waiting, one slot nobody fits.
    campaign_id, _ = future_campaign(data, vcdb, 1930, slots=2)

    page = soup(staff.get(f"/centre/campaigns/{campaign_id}"))
    assert page.find(id="nobody-left") is not None
    response = staff.post(f"/centre/campaigns/{campaign_id}/invite")
    assert response.headers["Location"].endswith("?done=nobody_left")
    page = soup(staff.get(response.headers["Location"]))
    assert "Er is op dit moment niemand meer om uit te nodigen." in page.text


def test_htmx_polling_gets_the_fragment_only(staff, data, vcdb):
    campaign_id, _ = future_campaign(data, vcdb, 1930)

    response = staff.get(
        f"/centre/campaigns/{campaign_id}", headers={"HX-Request": "true"}
    )

    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="live"')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_a_closed_campaign_stops_polling(staff, data, vcdb):
    campaign_id, _ = future_campaign(data, vcdb, 1930)

    response = staff.post(f"/centre/campaigns/{campaign_id}/close")

    assert (
        response.headers["Location"] == f"/centre/campaigns/{campaign_id}?done=closed"
    )
    page = soup(staff.get(response.headers["Location"]))
    assert "hx-trigger" not in page.find(id="live").attrs
    assert page.find("form", action=f"/centre/campaigns/{campaign_id}/invite") is None
    stored = data(lambda: db.session.get(Campaign, campaign_id))
    assert stored.state == "closed"


def test_invite_more_starts_a_wave_or_says_there_is_no_room(staff, data, vcdb):
    # Someone in line, not invited yet.
    campaign_id, _ = future_campaign(data, vcdb, 1930, slots=2, wave=False)

    response = staff.post(f"/centre/campaigns/{campaign_id}/invite")
    assert response.headers["Location"].endswith("?done=inviting")
    assert queued(data, "invite-wave", campaign_id)

    full, _ = future_campaign(data, vcdb, 1940, slots=1)
    response = staff.post(f"/centre/campaigns/{full}/invite")
    assert response.headers["Location"].endswith("?done=no_room")


def test_raising_people_per_slot(staff, data, vcdb):
    campaign_id, _ = future_campaign(data, vcdb, wave=False)

    response = staff.post(
        f"/centre/campaigns/{campaign_id}/per-slot", data={"per_slot": "3"}
    )
    assert response.headers["Location"].endswith("?done=per_slot")
    assert data(lambda: db.session.get(Campaign, campaign_id).per_slot) == 3

    response = staff.post(
        f"/centre/campaigns/{campaign_id}/per-slot", data={"per_slot": "9"}
    )
    assert response.headers["Location"].endswith("?done=per_slot_refused")
    assert data(lambda: db.session.get(Campaign, campaign_id).per_slot) == 3


def test_bookings_beyond_the_slots_are_shown(staff, data, vcdb):
    campaign_id, invitation_ids = future_campaign(data, vcdb, 1930, slots=1)

    def book_two():
        (first,) = invitation_ids
        invitations.mark_booked(
            db.session.get(Invitation, first), None, datetime.now(UTC)
        )
        extra = builders.add_entry(1960)
        db.session.add(
            Invitation(campaign_id=campaign_id, entry_id=extra, size=1, state="booked")
        )
        db.session.commit()

    data(book_two)

    live = soup(staff.get(f"/centre/campaigns/{campaign_id}")).find(id="live")
    text = " ".join(live.get_text(" ").split())
    assert "Geboekt 2 · 1 boven de plaatsen" in text
