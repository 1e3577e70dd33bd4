"""Retention rules and what is kept after erasure: counts, never identities."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Centre,
    Entry,
    EntryCentre,
    EntryState,
    ErasureTally,
    InvitationState,
    MessageState,
    OutboxMessage,
)
from app.services import outbox, retention, users
from jobs import retention as retention_jobs
from tests.privacy.conftest import ERASED, KEPT, invite, register

POLICY = retention.Policy(after_booking_days=3, after_lapse_days=30)


def tallies(event, centre_id=0):
    return [
        (t.day, t.kind, t.registered_by_role, t.postcode, t.reason, t.people, t.entries)
        for t in db.session.scalars(
            select(ErasureTally)
            .where(ErasureTally.event == event, ErasureTally.centre_id == centre_id)
            .order_by(ErasureTally.id)
        )
    ]


def test_the_settings_give_the_policy(app):
    policy = retention.Policy.from_config(
        {"RETENTION_AFTER_BOOKING_DAYS": "5", "RETENTION_AFTER_LAPSE_DAYS": "10"}
    )

    assert policy == retention.Policy(after_booking_days=5, after_lapse_days=10)
    assert retention.Policy.from_config(app.config) == POLICY


def test_which_entries_are_due_and_why(client, app_ctx, vcdb):
    now = datetime(2026, 12, 10, 12, tzinfo=UTC)
    today = date(2026, 12, 10)
    booked = register(client, ERASED)
    lapsed = register(client, KEPT)
    booked.state = EntryState.BOOKED
    lapsed.state = EntryState.INACTIVE  # not eligible: lapses all the same
    db.session.commit()
    booked.updated_at = now - timedelta(days=3)
    lapsed.available_until = today - timedelta(days=31)
    db.session.commit()

    assert retention.due_entries(POLICY, now) == [
        (booked.id, "booked"),
        (lapsed.id, "lapsed"),
    ]
    assert retention.due_entries(POLICY, now - timedelta(minutes=1)) == [
        (lapsed.id, "lapsed")
    ]
    assert retention.due_entries(POLICY, now - timedelta(days=1)) == []
    for entry in (booked, lapsed):
        assert retention.erasure_reason(entry, POLICY, now) is not None
        assert retention.erasure_reason(entry, POLICY, now - timedelta(days=1)) is None


def test_an_entry_without_availability_counts_from_its_registration(
    client, app_ctx, vcdb
):
    entry = register(client, ERASED)
    entry.avail_from_day, entry.avail_bits, entry.available_until = None, 0, None
    db.session.commit()
    registered = entry.registered_at

    assert retention.due_entries(POLICY, registered + timedelta(days=30)) == []
    assert retention.due_entries(
        POLICY, registered + timedelta(days=30, seconds=1)
    ) == [(entry.id, "lapsed")]


def test_a_renewed_entry_is_not_erased_when_its_turn_comes(client, app_ctx, vcdb):
    entry = register(client, ERASED)
    now = datetime.now(UTC)
    entry.available_until = retention.local_date(now) - timedelta(days=31)
    db.session.commit()
    assert retention.due_entries(POLICY, now) == [(entry.id, "lapsed")]
    # Renewed between the query and the erasure: the lock and check save it.
    entry.available_until = retention.local_date(now) + timedelta(days=10)
    db.session.commit()

    assert retention.erase_if_due(entry.id, POLICY, now) is None
    assert db.session.get(Entry, entry.id) is not None


def test_counts_outlive_the_erasure_per_centre_channel_and_invitation(
    client, app_ctx, vcdb
):
    doctor = users.create_user(
        "dr.privacy@lmb.test",
        "correct horse battery staple 42",
        "doctor",
        riziv_number="10000000000",
    )
    db.session.commit()
    entry = register(client, ERASED)
    bressoux = db.session.scalar(select(Centre).filter_by(code="wal-bressoux"))
    entry.centres.append(
        EntryCentre(centre_id=bressoux.id, registered_at=entry.registered_at)
    )
    entry.registered_by_id = doctor.id
    db.session.commit()
    invitation = invite(entry, InvitationState.BOOKED)
    gent = invitation.campaign.centre_id
    entry = db.session.get(Entry, entry.id)
    day = retention.local_date(entry.registered_at)
    sent_day = retention.local_date(invitation.sent_at)

    retention.erase_entry(entry, retention.BOOKED)
    db.session.commit()

    registered = (day, "self", "doctor", "9000", "booked", 1, 1)
    assert tallies("registered") == [registered]
    assert tallies("registered", gent) == [registered]
    assert tallies("registered", bressoux.id) == [registered]
    invited = (sent_day, "self", "doctor", "9000", "booked", 1, 1)
    assert tallies("invited") == [invited]
    assert tallies("invited", gent) == [invited]
    assert tallies("invited", bressoux.id) == []
    assert [t.people for t in retention.tally("registered", day, day)] == [1]


def test_counts_of_two_erasures_add_up(client, app_ctx, vcdb):
    for someone in (ERASED, KEPT):
        entry = register(client, someone)
        retention.erase_entry(entry, retention.WITHDRAWN)
        db.session.commit()

    (row,) = tallies("registered")
    assert row[-2:] == (2, 2)


def test_a_refused_registration_is_not_counted_as_registered(client, app_ctx, vcdb):
    vcdb.set_person(ERASED.ssin, status="not_eligible")
    refused = register(client, ERASED)
    accepted = register(client, KEPT)
    assert refused.state == EntryState.INACTIVE
    assert refused.people[0].accepted_at is None
    assert accepted.people[0].accepted_at is not None

    for entry in (refused, accepted):
        retention.erase_entry(entry, retention.LAPSED)
    db.session.commit()

    # Only the accepted one: nobody was put on the list by the refused one.
    (row,) = tallies("registered")
    assert row[-2:] == (1, 1)


def test_texts_of_sent_and_failed_messages_are_blanked(app_ctx):
    messages = []
    for state in MessageState.ALL:
        message = outbox.queue_email(
            to=ERASED.email,
            language="nl",
            purpose="withdrawn",
            template="withdrawn",
            subject="Test",
            context={},
        )
        message.state = state
        messages.append(message)
    db.session.commit()

    retention_jobs.purge()

    db.session.expire_all()
    texts = {
        m.state: (m.recipient is None, m.subject is None, m.body is None)
        for m in db.session.scalars(select(OutboxMessage))
    }
    assert texts == {
        "queued": (False, False, False),
        "sent": (True, True, True),
        "failed": (True, True, True),
    }
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_the_job_is_registered_with_the_cron_process():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "jobs" / "cron_config.py").read_text()

    assert "cron.register(retention.purge," in text
