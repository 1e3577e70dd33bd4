""" "I cannot come" links, and bookings reported by the booking system."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.centre.links import decline_token, invitation_for_decline_token
from app.extensions import db
from app.models import Campaign, Entry, Invitation, OutboxMessage
from simulators.vcdb import vaccination_code
from tests.centre import builders
from tests.centre.test_views import future_campaign

TOKEN = "booking-system-callback-token-0123456789"


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def decline_path(data, invitation_id, language="nl"):
    token = data(lambda: decline_token(db.session.get(Invitation, invitation_id)))
    return f"/{language}/invitation/{token}"


def invitation(data, invitation_id):
    return data(lambda: db.session.get(Invitation, invitation_id))


# I cannot come ------------------------------------------------------------------


def test_the_link_in_the_email_is_the_decline_page(data, vcdb):
    _, (invitation_id,) = future_campaign(data, vcdb, 1930, slots=1)

    body = data(lambda: db.session.scalar(select(OutboxMessage.body)))

    # The token is signed with a time stamp: read it from the mail rather
    # than signing again, which a second later gives another token.
    (token,) = re.findall(r"/nl/invitation/([\w.-]+)", body)
    named = data(lambda: invitation_for_decline_token(token).id)
    assert named == invitation_id


def test_a_get_only_asks_a_post_declines(client, data, vcdb):
    campaign_id, (invitation_id,) = future_campaign(data, vcdb, 1930, 1940, slots=1)
    path = decline_path(data, invitation_id)

    page = soup(client.get(path))
    form = page.find("form", action=path)
    assert form.find("button")
    assert invitation(data, invitation_id).state == "queued"

    response = client.post(path)

    assert response.status_code == 303
    assert response.headers["Location"] == path
    assert invitation(data, invitation_id).state == "declined"
    again = soup(client.get(path))
    assert again.find("form") is None
    assert again.select_one(".success")
    # A second post changes nothing.
    assert client.post(path).status_code == 303
    assert invitation(data, invitation_id).state == "declined"


def test_the_page_speaks_the_language_of_its_link(client, data, vcdb):
    _, (invitation_id,) = future_campaign(data, vcdb, 1930, slots=1)

    page = soup(client.get(decline_path(data, invitation_id, "de")))

    assert page.find("html")["lang"] == "de"


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "eyJpIjoxfQ.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb", "x" * 300],
)
def test_a_forged_or_broken_link_is_an_ordinary_404(client, token):
    assert client.get(f"/nl/invitation/{token}").status_code == 404
    assert client.post(f"/nl/invitation/{token}").status_code == 404


def test_a_link_for_another_purpose_is_refused(client, data, vcdb):
    from app import links

    _, (invitation_id,) = future_campaign(data, vcdb, 1930, slots=1)

    def personal_token_with_same_id():
        entry = db.session.get(Invitation, invitation_id).entry
        return links.personal_token(entry)

    token = data(personal_token_with_same_id)
    assert client.get(f"/nl/invitation/{token}").status_code == 404


def test_after_the_campaign_the_link_changes_nothing(client, data, vcdb):
    campaign_id, (invitation_id,) = future_campaign(data, vcdb, 1930, slots=1)
    path = decline_path(data, invitation_id)

    def end_it():
        campaign = db.session.get(Campaign, campaign_id)
        campaign.ends_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()

    data(end_it)

    assert soup(client.get(path)).find("form") is None
    client.post(path)
    assert invitation(data, invitation_id).state == "queued"


# Reported bookings ---------------------------------------------------------------


@pytest.fixture
def callback_client(make_app):
    built = make_app(BOOKING_CALLBACK_TOKEN=TOKEN, WTF_CSRF_ENABLED=True)
    yield built.test_client()
    with built.app_context():
        db.engine.dispose()


def report(client, token=TOKEN, **body):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/centre/api/bookings", json=body, headers=headers)


def test_the_callback_is_off_without_a_token(client):
    response = client.post(
        "/centre/api/bookings",
        json={
            "vaccination_code": "HH9M-RFG8-YQWU-QLPM",
            "booked_at": "2021-04-11T13:12:00Z",
        },
        headers={"Authorization": "Bearer anything"},
    )

    assert response.status_code == 404


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x", TOKEN[:-1]])
def test_the_callback_needs_the_token(callback_client, token):
    response = report(
        callback_client,
        token=token,
        vaccination_code="HH9M-RFG8-YQWU-QLPM",
        booked_at="2021-04-11T13:12:00Z",
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"vaccination_code": "HH9M-RFG8-YQWU-QLPM"},
        {"vaccination_code": "HH9M-RFG8-YQWU-QLPM", "booked_at": "yesterday"},
        {"vaccination_code": "HH9M-RFG8-YQWU-QLPM", "booked_at": "2021-04-11T13:12:00"},
        {"vaccination_code": 12345678, "booked_at": "2021-04-11T13:12:00Z"},
    ],
)
def test_a_malformed_report_is_refused(callback_client, body):
    response = report(callback_client, **body)

    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_request"}


def test_a_report_answers_the_same_whether_the_code_is_known(
    callback_client, data, vcdb
):
    ssin = builders.ssin_born(1930)
    campaign_id, (invitation_id,) = future_campaign(data, vcdb, ssin, slots=1)
    now = datetime.now(UTC).replace(microsecond=0)

    unknown = report(
        callback_client,
        vaccination_code="HH9M-RFG8-YQWU-QLPM",
        booked_at=now.isoformat(),
    )
    known = report(
        callback_client,
        vaccination_code=vaccination_code(ssin),
        booked_at=now.isoformat().replace("+00:00", "Z"),
    )

    assert (unknown.status_code, unknown.get_json()) == (202, {"status": "accepted"})
    assert (known.status_code, known.get_json()) == (202, {"status": "accepted"})
    assert invitation(data, invitation_id).state == "booked"
    entry_state = data(
        lambda: db.session.get(Entry, invitation(data, invitation_id).entry_id).state
    )
    assert entry_state == "booked"
