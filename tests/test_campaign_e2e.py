"""A last-minute campaign end to end, over HTTP and through real RQ workers.

Three people register with the public form and are checked against the
vaccination code database simulator; a staff member logs in and opens a
campaign of two slots with the HTTP form; RQ (a SimpleWorker in burst mode)
runs the wave and the outbox, and a real SMTP server receives the
invitations. The first invitee books (the simulator records the booking),
the second lets the 30 minutes pass (time travel: the expiry check is told
the time), the third is invited as next in line and books too, reported by
the booking system's callback: the campaign is full.
"""

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from app.adapters.vcdb import HttpEligibilityService
from app.centre.links import campaign_links
from app.extensions import db
from app.models import Campaign, Entry, Invitation, Person, Role
from app.queue import QUEUE_NAMES, get_queue, redis_connection
from app.services import availability, invitations, users
from jobs import eligibility as eligibility_jobs
from simulators.vcdb import vaccination_code
from tests.centre.builders import ssin_born
from tests.outbox.conftest import SmtpServer

PASSWORD = "Correct horse battery 9"
CALLBACK_TOKEN = "e2e-booking-callback-token-000000000000"
PEOPLE = [  # (born, first name, e-mail)
    (1940, "Anna", "anna.claes@example.be"),
    (1950, "Bert", "bert.claes@example.be"),
    (1960, "Chris", "chris.claes@example.be"),
]


@pytest.fixture
def smtp():
    # aiosmtpd logs envelope addresses at INFO; only our own logs are checked.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def e2e_app(make_app, smtp, app):
    built = make_app(
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_TIMEOUT=5,
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=False,
        BOOKING_CALLBACK_TOKEN=CALLBACK_TOKEN,
    )
    with built.app_context():
        for name in QUEUE_NAMES:
            get_queue(name).empty()
    yield built
    with built.app_context():
        for name in QUEUE_NAMES:
            get_queue(name).empty()
        db.session.remove()
        db.engine.dispose()


def csrf_token(client, path):
    page = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
    return page.find("input", attrs={"name": "csrf_token"})["value"]


def register(client, ssin, first_name, email, day):
    response = client.post(
        "/nl/register",
        data={
            "csrf_token": csrf_token(client, "/nl/register"),
            "ssin": ssin,
            "last_name": "Claes",
            "first_name": first_name,
            "postcode": "9000",
            "email": email,
            "mobile": "0470 12 34 56",
            "language": "nl",
            "centres": ["vl-gent-flanders-expo"],
            "availability": [f"{day}:afternoon", f"{day}:evening"],
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def run_worker(app):
    """Run every job waiting on the queues, as a worker process would."""
    with app.app_context():
        queues = [get_queue(name) for name in QUEUE_NAMES]
        SimpleWorker(
            queues, connection=redis_connection(), serializer=JSONSerializer
        ).work(burst=True)
        failed = [q.failed_job_registry.get_job_ids() for q in queues]
        db.session.remove()
    assert failed == [[], [], []]


def invitations_received(smtp):
    return [
        received
        for received in smtp.received
        if "30 minuten" in received["message"]["Subject"]
    ]


def body(received):
    return received["message"].get_body(preferencelist=("plain",)).get_content()


def test_a_campaign_from_registration_to_full(e2e_app, smtp, vcdb):
    citizen = e2e_app.test_client()
    staff = e2e_app.test_client()
    day = availability.local_now().date() + timedelta(days=1)
    ssins = [ssin_born(year) for year, _, _ in PEOPLE]

    # Three people register through the public form and are checked.
    for ssin, (_, first_name, email) in zip(ssins, PEOPLE, strict=True):
        register(citizen, ssin, first_name, email, day.isoformat())
    with e2e_app.app_context():
        for entry_id in db.session.scalars(select(Entry.id).order_by(Entry.id)).all():
            assert eligibility_jobs.check_entry(entry_id) == "checked"
        db.session.remove()

    # A staff member logs in and opens a campaign: tomorrow 15:00-19:00, 2 slots.
    with e2e_app.app_context():
        users.create_user(
            "staff@lmb.test", PASSWORD, Role.CENTRE_STAFF, "vl-gent-flanders-expo"
        )
        db.session.remove()
    response = staff.post(
        "/staff/login",
        data={
            "csrf_token": csrf_token(staff, "/staff/login"),
            "username": "staff@lmb.test",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 303
    response = staff.post(
        "/centre/campaigns/new",
        data={
            "csrf_token": csrf_token(staff, "/centre/campaigns/new"),
            "day": day.isoformat(),
            "start_time": "15:00",
            "end_time": "19:00",
            "slots": "2",
            "margin_minutes": "30",
        },
    )
    assert response.status_code == 303
    live_path = response.headers["Location"].split("?")[0]
    campaign_id = int(live_path.rsplit("/", 1)[1])

    # The worker runs the wave and hands the invitations to the SMTP server.
    run_worker(e2e_app)

    first_two = invitations_received(smtp)
    assert sorted(r["rcpt_tos"][0] for r in first_two) == [
        "anna.claes@example.be",
        "bert.claes@example.be",
    ]
    anna = next(r for r in first_two if r["rcpt_tos"] == ["anna.claes@example.be"])
    text = body(anna)
    assert vaccination_code(ssins[0]) in text
    assert "https://booking.example.be" in text
    assert "tussen 15:00 en 19:00" in text
    decline_link = re.search(r"http://\S+/nl/invitation/\S+", text)
    assert decline_link
    with e2e_app.app_context():
        rows = db.session.scalars(
            select(Invitation).where(Invitation.campaign_id == campaign_id)
        ).all()
        assert [(r.state, r.size) for r in rows] == [("sent", 1), ("sent", 1)]
        sent_at = {r.entry.people[0].first_name: r.sent_at for r in rows}
        ids = {r.entry.people[0].first_name: r.id for r in rows}
        db.session.remove()

    # Anna books in the regular booking system; Bert lets the time pass.
    vcdb.set_person(ssins[0], status="booked")
    with e2e_app.app_context(), HttpEligibilityService(vcdb.url, retries=0) as service:
        for name in ("Anna", "Bert"):
            invitations.check_expiry(
                ids[name],
                service=service,
                links=campaign_links(),
                now=sent_at[name] + timedelta(minutes=31),
            )
            db.session.commit()
        db.session.remove()

    # The next in line, Chris, is invited.
    run_worker(e2e_app)
    received = invitations_received(smtp)
    assert [r["rcpt_tos"] for r in received[2:]] == [["chris.claes@example.be"]]
    assert vaccination_code(ssins[2]) in body(received[2])

    live = BeautifulSoup(staff.get(live_path).get_data(as_text=True), "html.parser")
    states = [
        [td.get_text(strip=True) for td in tr.find_all("td")][2]
        for tr in live.select("#invitations tbody tr")
    ]
    assert states == ["Geboekt", "Niet op tijd geboekt", "Wacht op een boeking"]

    # The booking system reports Chris's booking directly: every slot is booked.
    response = citizen.post(
        "/centre/api/bookings",
        json={
            "vaccination_code": vaccination_code(ssins[2]),
            "booked_at": datetime.now(UTC).isoformat(),
        },
        headers={"Authorization": f"Bearer {CALLBACK_TOKEN}"},
    )
    assert response.status_code == 202
    run_worker(e2e_app)

    with e2e_app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.state == "full"
        states = {
            r.entry.people[0].first_name: (
                r.state,
                r.entry.state,
                r.entry.unanswered_count,
            )
            for r in db.session.scalars(
                select(Invitation).where(Invitation.campaign_id == campaign_id)
            )
        }
        assert states == {
            "Anna": ("booked", "booked", 0),
            "Bert": ("expired", "active", 1),
            "Chris": ("booked", "booked", 0),
        }
        assert db.session.scalar(select(Person.eligibility).limit(1)) == "eligible"
        db.session.remove()
