"""After erasure, nothing of the person is left anywhere in the database.

Each path (booked + RETENTION_AFTER_BOOKING_DAYS, lapsed +
RETENTION_AFTER_LAPSE_DAYS, withdrawal) is taken by a person registered
through the public form, who registered a second time with other details
(an update waiting for confirmation), was invited, whose entry a staff
member read, and who was sent e-mails. Then every column of every table is
read back raw, encrypted values are also decrypted, and none of the
person's values may appear, in any spelling. A second person, not erased,
must still be found whole: that proves the search looks in the right places.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select

from app import crypto
from app.crypto import lookup_hash
from app.extensions import db
from app.models import (
    AuditEvent,
    Entry,
    EntryState,
    ErasureTally,
    Invitation,
    InvitationState,
    MessageState,
    OutboxMessage,
    Person,
    Submission,
)
from app.services import audit, availability, users
from jobs import eligibility as eligibility_jobs
from jobs import outbox as outbox_jobs
from jobs import retention as retention_jobs
from tests.privacy.conftest import (
    ERASED,
    KEPT,
    invite,
    person_of,
    personal_path,
    register,
)


def database_text():
    """Every value of every column of every table, and the plain text of
    every value that decrypts, lower-cased, one per line."""
    metadata = sa.MetaData()
    metadata.reflect(bind=db.engine)
    values = []
    with db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(table.select()):
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    text = str(value)
                    values.append(text)
                    if text.startswith("gAAAA"):
                        try:
                            values.append(crypto.decrypt(text))
                        except crypto.KeyError_:
                            pass
    return "\n".join(values).lower()


def found(needles):
    text = database_text()
    return sorted({needle for needle in needles if needle.lower() in text})


def life_of(client, someone, staff):
    """Register, register again with new details, be invited, be read by a
    member of staff; return the entry and the values that must disappear."""
    entry = register(client, someone)
    # A second registration with the same number waits for confirmation.
    client.post(
        "/nl/register",
        data=someone.form(email="other." + someone.email, last_name="Anders"),
    )
    eligibility_jobs.check_entry(entry.id)
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    person = entry.people[0]
    code = person.vaccination_code
    assert code and person.eligibility == "eligible"
    invite(entry, InvitationState.SENT)
    audit.record(staff, audit.ENTRY_READ, entry.id)
    db.session.commit()
    extra = [code, lookup_hash(someone.ssin), "other." + someone.email]
    assert found(someone.needles(extra)) != [], "the person is stored first"
    return entry, extra


def a_staff_member():
    user = users.create_user(
        "agent.privacy@lmb.test",
        "correct horse battery staple 42",
        "agent",
        display_name="Agent Privacy",
    )
    db.session.commit()
    return user


def assert_kept_whole():
    assert found(KEPT.stored_forms()) == sorted(KEPT.stored_forms())


def assert_nothing_left(someone, extra, entry_id, reason):
    assert found(someone.needles(extra)) == []
    assert_kept_whole()
    # Ids and states stay, pointing nowhere; the erasure itself is recorded.
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert db.session.scalar(select(Invitation.entry_id)) is None
    assert db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entry_id == entry_id)
        .order_by(AuditEvent.id)
    ).all() == [audit.ENTRY_READ, audit.ENTRY_ERASED]
    tallies = db.session.scalars(
        select(ErasureTally).where(
            ErasureTally.event == "registered", ErasureTally.centre_id == 0
        )
    ).all()
    assert [(t.reason, t.postcode, t.kind, t.people, t.entries) for t in tallies] == [
        (reason, "9000", "self", 1, 1)
    ]


def test_booked_people_are_erased_three_days_later(client, app_ctx, vcdb):
    staff = a_staff_member()
    register(client, KEPT)
    entry, extra = life_of(client, ERASED, staff)
    entry.state = EntryState.BOOKED
    db.session.commit()
    booked_at = db.session.get(Entry, entry.id).updated_at

    assert retention_jobs.purge(booked_at + timedelta(days=3, minutes=-1)) == 0
    assert person_of(ERASED) is not None
    assert retention_jobs.purge(booked_at + timedelta(days=3, minutes=1)) == 1

    db.session.expire_all()
    assert_nothing_left(ERASED, extra, entry.id, "booked")


def test_lapsed_people_are_erased_thirty_days_after_their_last_day(
    client, app_ctx, vcdb
):
    staff = a_staff_member()
    kept = register(client, KEPT)
    entry, extra = life_of(client, ERASED, staff)
    last_day = db.session.get(Entry, entry.id).available_until
    kept.available_until = last_day + timedelta(days=60)
    db.session.commit()

    def noon_after(days):
        return datetime.combine(
            last_day + timedelta(days=days), datetime.min.time(), availability.BRUSSELS
        ).astimezone(UTC) + timedelta(hours=12)

    assert retention_jobs.purge(noon_after(30)) == 0
    assert person_of(ERASED) is not None
    assert retention_jobs.purge(noon_after(31)) == 1

    db.session.expire_all()
    assert_nothing_left(ERASED, extra, entry.id, "lapsed")


def test_withdrawn_people_are_erased_at_once(client, app_ctx, vcdb, smtp):
    staff = a_staff_member()
    register(client, KEPT)
    entry, extra = life_of(client, ERASED, staff)

    response = client.post(personal_path(entry) + "/withdraw")
    assert response.status_code == 303

    # Only the goodbye e-mail still knows the address, until it is sent.
    goodbye = db.session.scalars(
        select(OutboxMessage).filter_by(purpose="withdrawn")
    ).one()
    assert found([ERASED.email]) == [ERASED.email]
    assert outbox_jobs.deliver(goodbye.id) is True
    assert smtp.received[-1]["rcpt_tos"] == [ERASED.email]
    retention_jobs.purge()

    db.session.expire_all()
    assert_nothing_left(ERASED, extra, entry.id, "withdrawn")
    # The messages' rows stay for monitoring, without address or text.
    goodbye = db.session.get(OutboxMessage, goodbye.id)
    assert (goodbye.state, goodbye.recipient, goodbye.body) == ("sent", None, None)


def test_a_group_is_erased_with_all_its_members(client, app_ctx, vcdb):
    entry = register(client, ERASED)
    second = Person(
        ssin_hash=lookup_hash(KEPT.ssin),
        ssin=KEPT.ssin,
        last_name=KEPT.last_name,
        first_name=KEPT.first_name,
        email=KEPT.email,
        mobile=KEPT.e164,
        is_responsible=False,
        eligibility="eligible",
        accepted_at=entry.people[0].accepted_at,
    )
    entry.people.append(second)
    entry.kind = "group"
    entry.state = EntryState.WITHDRAWN
    db.session.commit()

    assert retention_jobs.purge() == 1

    assert db.session.scalar(select(func.count()).select_from(Person)) == 0
    assert found(ERASED.needles() + KEPT.needles()) == []
    tally = db.session.scalars(
        select(ErasureTally).where(
            ErasureTally.event == "registered", ErasureTally.centre_id == 0
        )
    ).one()
    assert (tally.kind, tally.people, tally.entries) == ("group", 2, 1)


def test_unsent_messages_of_an_erased_entry_are_stopped(client, app_ctx, vcdb):
    entry = register(client, ERASED)
    message = db.session.scalars(
        select(OutboxMessage).filter_by(entry_id=entry.id)
    ).one()
    assert message.state == MessageState.QUEUED

    client.post(personal_path(entry) + "/withdraw")

    db.session.expire_all()
    message = db.session.get(OutboxMessage, message.id)
    assert (message.state, message.last_error, message.entry_id) == (
        "failed",
        "erased",
        None,
    )
    assert (message.recipient, message.subject, message.body) == (None, None, None)
    assert outbox_jobs.deliver(message.id) is False


def test_an_open_invitation_of_an_erased_entry_is_withdrawn(client, app_ctx, vcdb):
    entry = register(client, ERASED)
    invitation = invite(entry, InvitationState.SENT)

    client.post(personal_path(entry) + "/withdraw")

    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    assert (invitation.state, invitation.entry_id) == ("cancelled", None)
    assert invitation.answered_at is not None


def test_submissions_are_deleted_after_their_time_to_live(client, app_ctx, vcdb):
    register(client, KEPT)
    created = db.session.scalar(select(Submission.created_at))

    retention_jobs.purge(created + timedelta(days=2, minutes=-1))
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
    retention_jobs.purge(created + timedelta(days=2, minutes=1))
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    # The person stays on the list.
    assert person_of(KEPT) is not None
