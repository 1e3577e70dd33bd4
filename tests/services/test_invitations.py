"""An invitation's life: sent, booked, expired and next in line, declined,
undeliverable, withdrawn late, reported by the booking system.

Time travel as in test_campaigns: NOW is 14:00 in Brussels on 10 March 2026
and the campaign runs 15:00-19:00 (14:00-18:00 UTC).
"""

import logging
from datetime import UTC, datetime, time, timedelta

import pytest
import requests
from sqlalchemy import select

from app.centre.links import campaign_links
from app.extensions import db
from app.models import (
    EntryCentre,
    EntryState,
    InvitationState,
    MessageState,
    OutboxMessage,
    Role,
)
from app.queue import get_queue, job_id
from app.services import availability, campaigns, invitations, outbox
from jobs import outbox as outbox_jobs
from simulators.vcdb import vaccination_code
from tests.centre import builders
from tests.centre.builders import (
    NOW,
    add_entry,
    campaign,
    entry,
    invitations_of,
    invited_entries,
    messages,
    open_campaign,
    ssin_born,
)
from tests.centre.fixtures import (  # noqa: F401
    ctx_fixture,
    links_fixture,
    service_fixture,
)
from tests.outbox.conftest import SmtpServer

MINUTE = timedelta(minutes=1)
SENT = NOW + MINUTE
AFTER = SENT + 30 * MINUTE  # the 30 minutes are over
ENDS = datetime(2026, 3, 10, 18, tzinfo=UTC)


def wave(service, links, campaign_id, now=NOW):
    return campaigns.invite_wave(campaign_id, service=service, links=links, now=now)


def invited(service, links, *births, slots=1, **entry_options):
    """Entries for `births` (each one person), a campaign, one wave; returns
    (campaign id, entry ids, invitation ids)."""
    ids = [add_entry(birth, **entry_options) for birth in births]
    campaign_id = open_campaign(slots=slots)
    wave(service, links, campaign_id)
    return campaign_id, ids, [i.id for i in invitations_of(campaign_id)]


def delivered(invitation_id, at=SENT):
    invitations.message_delivered(invitation_id, at)
    db.session.commit()


def check(service, links, invitation_id, now=AFTER):
    outcome = invitations.check_expiry(
        invitation_id, service=service, links=links, now=now
    )
    db.session.commit()
    return outcome


def state(invitation_id):
    db.session.expire_all()
    return db.session.get(invitations.Invitation, invitation_id).state


def high_queue_ids():
    return get_queue("high").job_ids


# Sent --------------------------------------------------------------------------


def test_the_30_minutes_start_when_the_message_is_handed_over(ctx, service, links):
    campaign_id, _, (invitation_id,) = invited(service, links, 1940)

    delivered(invitation_id)
    delivered(invitation_id, at=SENT + 2 * MINUTE)  # the SMS, a little later

    (row,) = invitations_of(campaign_id)
    assert (row.state, row.sent_at, row.expires_at) == (
        "sent",
        SENT,
        SENT + 30 * MINUTE,
    )
    assert (
        invitations.minutes_left(row, SENT + 10 * MINUTE + timedelta(seconds=1)) == 20
    )
    assert invitations.minutes_left(row, AFTER + MINUTE) == 0
    # Expired in the past of the real clock: the check is queued at once.
    stamp = int((SENT + 30 * MINUTE).timestamp())
    assert job_id("check-expiry", invitation_id, stamp) in high_queue_ids()


def test_the_expiry_check_is_scheduled_at_the_expiry(ctx, service, links):
    """With the real clock: the check waits in RQ's scheduled registry."""
    now = datetime.now(UTC).replace(microsecond=0)
    tomorrow = (now + timedelta(days=1)).date()
    add_entry(1940, parts=((tomorrow, availability.AFTERNOON),))
    campaign_id = builders.open_campaign(day=tomorrow, now=now)
    wave(service, links, campaign_id, now=now)
    (invitation,) = invitations_of(campaign_id)

    delivered(invitation.id, at=now)

    registry = get_queue("high").scheduled_job_registry
    key = job_id("check-expiry", invitation.id, int((now + 30 * MINUTE).timestamp()))
    assert registry.get_job_ids(cleanup=False) == [key]
    assert registry.get_scheduled_time(key) == now + 30 * MINUTE


def test_the_last_invitations_expire_at_the_campaigns_end(ctx, service, links):
    add_entry(1940)
    campaign_id = open_campaign(slots=1)
    late = datetime(2026, 3, 10, 17, 20, tzinfo=UTC)
    wave(service, links, campaign_id, now=late)
    (row,) = invitations_of(campaign_id)

    delivered(row.id, at=late + 20 * MINUTE)  # the relay was slow

    assert invitations_of(campaign_id)[0].expires_at == ENDS


# Expiry and next in line --------------------------------------------------------


def test_no_booking_in_30_minutes_expires_and_the_next_is_invited(ctx, service, links):
    campaign_id, (first, second, third), (invitation_id,) = invited(
        service, links, 1930, 1940, 1950
    )
    delivered(invitation_id)

    assert check(service, links, invitation_id, now=AFTER - MINUTE) == "not_due"
    assert check(service, links, invitation_id) == "expired"

    assert state(invitation_id) == InvitationState.EXPIRED
    assert entry(first).unanswered_count == 1
    assert entry(first).state == EntryState.ACTIVE
    assert job_id("invite-wave", campaign_id) in high_queue_ids()
    wave(service, links, campaign_id, now=AFTER)
    assert invited_entries(campaign_id) == [first, second]


def test_a_booking_since_the_message_makes_the_whole_entry_booked(
    ctx, service, links, vcdb
):
    responsible, member = ssin_born(1940), ssin_born(1942)
    group = add_entry(responsible, member)
    campaign_id = open_campaign(slots=2)
    wave(service, links, campaign_id)
    (row,) = invitations_of(campaign_id)
    delivered(row.id)
    vcdb.set_person(responsible, status="booked", booked_at="2026-03-10T13:12:00Z")

    assert check(service, links, row.id) == "booked"

    (row,) = invitations_of(campaign_id)
    assert (row.state, row.size, row.answered_at) == (
        "booked",
        2,
        datetime(2026, 3, 10, 13, 12, tzinfo=UTC),
    )
    assert entry(group).state == EntryState.BOOKED
    assert not db.session.scalar(
        select(EntryCentre.rankable).where(EntryCentre.entry_id == group)
    )
    assert campaigns.counts(campaign(campaign_id)).booked == 2
    assert campaign(campaign_id).state == "open"  # FULL is for the wave to see
    wave(service, links, campaign_id, now=AFTER)
    assert campaign(campaign_id).state == "full"


def test_a_booking_made_before_the_invitation_does_not_count(ctx, service, links, vcdb):
    ssin = ssin_born(1940)
    _, (entry_id,), (invitation_id,) = invited(service, links, ssin)
    delivered(invitation_id)
    # Booked 10 minutes before the message was sent (beyond the clock slack).
    vcdb.set_person(ssin, status="booked", booked_at="2026-03-10T12:51:00Z")

    assert check(service, links, invitation_id) == "expired"


def test_service_down_at_expiry_asks_again_until_the_end(ctx, service, links, vcdb):
    _, (entry_id,), (invitation_id,) = invited(service, links, 1940)
    delivered(invitation_id)
    vcdb.configure(outage=True)

    assert check(service, links, invitation_id) == "retry"
    assert state(invitation_id) == InvitationState.SENT
    retry_stamp = int((AFTER + MINUTE).timestamp())
    assert job_id("check-expiry", invitation_id, retry_stamp) in high_queue_ids()

    assert check(service, links, invitation_id, now=ENDS) == "expired"
    assert state(invitation_id) == InvitationState.EXPIRED
    assert entry(entry_id).unanswered_count == 0  # not verified: not counted


def test_a_settled_invitation_is_left_alone(ctx, service, links, vcdb):
    _, _, (invitation_id,) = invited(service, links, 1940)
    delivered(invitation_id)
    assert check(service, links, invitation_id) == "expired"

    assert check(service, links, invitation_id) == "settled"
    assert check(service, links, 999_999) == "settled"


def test_three_unanswered_invitations_pause_the_entry_and_ask_by_email(
    ctx, service, links
):
    entry_id = add_entry(1940)
    for hour in (14, 15, 16):
        campaign_id = builders.open_campaign(start=time(hour), slots=1)
        wave(service, links, campaign_id)
        (row,) = invitations_of(campaign_id)
        delivered(row.id)
        assert check(service, links, row.id) == "expired"

    assert entry(entry_id).unanswered_count == 3
    assert entry(entry_id).state == EntryState.PAUSED
    assert not db.session.scalar(
        select(EntryCentre.rankable).where(EntryCentre.entry_id == entry_id)
    )
    (asked,) = messages("invitation_paused")
    assert asked.channel == "email"
    assert asked.invitation_id is None
    assert "/nl/me/" in asked.body
    # Paused: the next campaign passes the entry by.
    next_one = builders.open_campaign(slots=1, start=time(16, 30))
    assert wave(service, links, next_one) == []


# Declined, undeliverable, late -----------------------------------------------------


def test_declining_releases_the_slot_at_once(ctx, service, links, vcdb):
    campaign_id, (first, second), (invitation_id,) = invited(service, links, 1930, 1940)
    db.session.get(builders.Entry, first).unanswered_count = 2
    db.session.commit()
    calls_before = stats(vcdb)

    assert invitations.decline(invitation_id, now=NOW + 3 * MINUTE)
    db.session.commit()

    assert state(invitation_id) == InvitationState.DECLINED
    assert entry(first).unanswered_count == 0
    assert entry(first).state == EntryState.ACTIVE
    (mail,) = messages("invitation", invitation_id=invitation_id)
    assert mail.state == MessageState.FAILED  # not yet sent: withdrawn
    assert job_id("invite-wave", campaign_id) in high_queue_ids()
    assert stats(vcdb) == calls_before  # the code and bookings are not touched
    assert not invitations.decline(invitation_id, now=NOW + 4 * MINUTE)
    wave(service, links, campaign_id, now=NOW + 4 * MINUTE)
    assert invited_entries(campaign_id) == [first, second]


def stats(vcdb):
    counts = requests.get(f"{vcdb.url}/_sim/stats", timeout=5).json()
    return {k: v for k, v in counts.items() if "invitation" in k or "person" in k}


@pytest.fixture
def smtp_app(app, make_app, ctx):
    # aiosmtpd logs envelope addresses at INFO; only our own logs are checked.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = SmtpServer().start()
    built = make_app(MAIL_HOST="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=5)
    context = built.app_context()
    context.push()
    yield server
    db.session.remove()
    db.engine.dispose()
    context.pop()
    server.stop()


def test_an_undeliverable_invitation_does_not_count_and_frees_the_slot(smtp_app, vcdb):
    with builders.service(vcdb) as client:
        entry_id = add_entry(1930, email="unknown-person@example.be")
        campaign_id = open_campaign(slots=1)
        wave(client, campaign_links(), campaign_id)
    (row,) = invitations_of(campaign_id)
    (mail,) = messages("invitation")

    outbox_jobs.deliver(mail.id)

    assert state(row.id) == InvitationState.UNDELIVERABLE
    assert entry(entry_id).unanswered_count == 0
    assert smtp_app.received == []
    assert job_id("invite-wave", campaign_id) in high_queue_ids()


def test_a_failed_email_waits_for_the_sms_of_the_same_invitation(ctx, service, links):
    _, _, (invitation_id,) = invited(service, links, 1930)
    (mail,) = messages("invitation")
    # An SMS of the same invitation still waiting to be sent.
    sms = OutboxMessage(
        channel=outbox.SMS,
        purpose="invitation",
        language="nl",
        recipient="+32470123456",
        body="...",
        invitation_id=invitation_id,
        state=MessageState.QUEUED,
        next_attempt_at=NOW,
        created_at=NOW,
    )
    db.session.add(sms)
    mail.state = MessageState.FAILED
    db.session.commit()

    invitations.message_undeliverable(invitation_id)
    db.session.commit()
    assert state(invitation_id) == InvitationState.QUEUED

    sms.state = MessageState.FAILED
    db.session.commit()
    invitations.message_undeliverable(invitation_id)
    db.session.commit()
    assert state(invitation_id) == InvitationState.UNDELIVERABLE


def test_a_message_not_handed_over_in_15_minutes_is_withdrawn(ctx, service, links):
    campaign_id, (entry_id,), (invitation_id,) = invited(service, links, 1930)

    assert invitations.withdraw_late(NOW + 14 * MINUTE) == []
    assert invitations.withdraw_late(NOW + 15 * MINUTE) == [invitation_id]
    db.session.commit()

    assert state(invitation_id) == InvitationState.CANCELLED
    assert [m.state for m in messages("invitation")] == [MessageState.FAILED]
    assert messages("invitation_cancelled") == []  # they never got it
    assert entry(entry_id).unanswered_count == 0
    # A message handed over after all no longer changes anything.
    delivered(invitation_id)
    assert state(invitation_id) == InvitationState.CANCELLED


def test_overdue_finds_sent_invitations_whose_check_went_missing(ctx, service, links):
    _, _, (invitation_id,) = invited(service, links, 1930)
    delivered(invitation_id)

    assert invitations.overdue(AFTER + MINUTE, timedelta(minutes=2)) == []
    assert invitations.overdue(AFTER + 2 * MINUTE, timedelta(minutes=2)) == [
        invitation_id
    ]


# Reported by the booking system ----------------------------------------------------


def test_a_reported_booking_books_the_invitation_of_that_code(ctx, service, links):
    ssin = ssin_born(1930)
    campaign_id, (entry_id,), (invitation_id,) = invited(service, links, ssin)
    delivered(invitation_id)
    code = vaccination_code(ssin).lower().replace("-", " ")

    found = invitations.record_reported_booking(
        code, SENT + 4 * MINUTE, SENT + 5 * MINUTE
    )
    db.session.commit()

    assert found.id == invitation_id
    assert state(invitation_id) == InvitationState.BOOKED
    assert entry(entry_id).state == EntryState.BOOKED
    assert (
        invitations.record_reported_booking("HH9M-RFG8-YQWU-QLPM", SENT, SENT) is None
    )


def test_a_reported_booking_from_before_the_invitation_is_ignored(ctx, service, links):
    ssin = ssin_born(1930)
    _, _, (invitation_id,) = invited(service, links, ssin)
    delivered(invitation_id)

    found = invitations.record_reported_booking(
        vaccination_code(ssin), SENT - 10 * MINUTE, SENT
    )

    assert found is None
    assert state(invitation_id) == InvitationState.SENT


# Who receives it ---------------------------------------------------------------------


def test_a_doctor_receives_the_invitation_for_a_patient(ctx, service, links):
    doctor = builders.staff_user(username="dr.janssens@example.be", role=Role.DOCTOR)
    doctor.riziv_number = "10000000000"
    db.session.commit()
    ssin = ssin_born(1930)
    campaign_id, _, (invitation_id,) = invited(
        service, links, ssin, recipient="doctor", doctor_id=doctor.id
    )

    (mail,) = messages("invitation")
    assert mail.recipient == "dr.janssens@example.be"
    assert "Person1 Peeters" in mail.body
    assert vaccination_code(ssin) in mail.body
    assert "/nl/me/" not in mail.body


def test_with_sms_on_the_invitation_also_goes_by_sms(app, make_app, vcdb):
    built = make_app(SMS_ENABLED=True)
    with built.app_context():
        try:
            ssin = ssin_born(1930)
            with builders.service(vcdb) as client:
                invited(client, campaign_links(), ssin)
            sms = [m for m in messages("invitation") if m.channel == "sms"]
            assert [m.recipient for m in sms] == ["+32470123456"]
            text = sms[0].body
            assert vaccination_code(ssin) in text
            assert "https://booking.example.be" in text
            assert "14:30" in text
            assert len(text) <= outbox.SMS_MAX_LENGTH
        finally:
            db.session.remove()
            db.engine.dispose()
