"""The booking system is told of every confirmed claim, whatever its outages:
notifications wait in the database and arrive once it is back, none twice."""

from datetime import UTC, datetime, timedelta

import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select, update

from app.extensions import db
from app.models import BookingNotification, DirectClaim, NotificationState
from app.queue import QUEUE_NAMES, get_queue, redis_connection
from app.services import direct
from app.services.entries import PersonData
from jobs import direct as direct_jobs
from simulators.vcdb import vaccination_code
from tests.direct.conftest import local_today
from tests.factories import make_ssin

PEOPLE = [make_ssin(f"4{n}0101", 100 + n) for n in range(5)]


@pytest.fixture
def queues(app):
    """This run's queues, empty before and after."""
    with app.app_context():
        for name in QUEUE_NAMES:
            get_queue(name).empty()
    yield
    with app.app_context():
        for name in QUEUE_NAMES:
            get_queue(name).empty()


def run_worker():
    worker = SimpleWorker(
        [get_queue(name) for name in QUEUE_NAMES],
        connection=redis_connection(),
        serializer=JSONSerializer,
    )
    worker.work(burst=True)


def confirm_claims(moment_id):
    """Claim a slot for each of PEOPLE and run the eligibility jobs."""
    for number, ssin in enumerate(PEOPLE):
        data = direct.ClaimData(
            person=PersonData(
                ssin, "Claes", "An", f"an{number}@example.be", "+32470123456"
            ),
            postcode="9000",
            language="nl",
        )
        claim = direct.claim_moment(moment_id, data)
        assert direct_jobs.check_claim(claim.id) == "confirmed"


def time_passes():
    """Every waiting notification is due now."""
    db.session.execute(
        update(BookingNotification).values(
            next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)
        )
    )
    db.session.commit()


def states():
    db.session.expire_all()
    return [n.state for n in db.session.scalars(select(BookingNotification))]


def test_notifications_queued_during_an_outage_all_arrive_once(
    app_ctx, make_moment, vcdb, booking, queues
):
    moment_id = make_moment(days=2, slots=10)
    booking.configure(outage=True)

    confirm_claims(moment_id)  # each confirmation enqueues its notification
    run_worker()

    assert states() == [NotificationState.PENDING] * 5
    attempts = db.session.scalars(select(BookingNotification.attempts)).all()
    assert attempts == [1] * 5
    errors = set(db.session.scalars(select(BookingNotification.last_error)))
    assert errors == {"booking-503-service_unavailable"}
    assert booking.notifications() == []
    # Not due yet: the sweep leaves them alone.
    assert direct_jobs.sweep() == 0

    # Still down at the next round.
    time_passes()
    assert direct_jobs.sweep() == 5
    run_worker()
    assert states() == [NotificationState.PENDING] * 5
    assert booking.notifications() == []

    # Back, but the answer to the first one is lost on the way: the adapter
    # sends it again at once, and the booking system knows it already.
    booking.configure(outage=False, lose_next=1)
    time_passes()
    assert direct_jobs.sweep() == 5
    run_worker()

    assert states() == [NotificationState.SENT] * 5
    received = booking.notifications()
    stored = db.session.scalars(
        select(BookingNotification).order_by(BookingNotification.id)
    ).all()
    assert sorted(n["notification_id"] for n in received) == sorted(
        n.notification_id for n in stored
    )
    assert sorted(n["vaccination_code"] for n in received) == sorted(
        vaccination_code(ssin) for ssin in PEOPLE
    )
    day = (local_today() + timedelta(days=2)).isoformat()
    assert {
        (n["date"], n["start_time"], n["end_time"], n["centre_id"]) for n in received
    } == {(day, "15:00", "19:00", "vl-gent-flanders-expo")}
    assert sorted(n["deliveries"] for n in received) == [1, 1, 1, 1, 2]
    assert booking.stats()["accepted"] == 5

    # Nothing is sent again once received.
    time_passes()
    assert direct_jobs.sweep() == 0
    for notification in stored:
        assert direct_jobs.notify_booking(notification.id) is False
    assert booking.stats()["accepted"] == 5
    assert sum(n["deliveries"] for n in booking.notifications()) == 6


def test_the_invited_at_is_the_moment_of_confirmation(
    app_ctx, make_moment, vcdb, booking
):
    moment_id = make_moment(days=1, slots=1)
    before = datetime.now(UTC).replace(microsecond=0)
    data = direct.ClaimData(
        person=PersonData(PEOPLE[0], "Claes", "An", "an@example.be", "+32470123456"),
        postcode="9000",
        language="nl",
    )
    claim = direct.claim_moment(moment_id, data)
    direct_jobs.check_claim(claim.id)
    notification_pk = db.session.scalar(select(BookingNotification.id))

    assert direct_jobs.notify_booking(notification_pk) is True

    [received] = booking.notifications()
    invited_at = datetime.fromisoformat(received["invited_at"])
    decided = db.session.get(DirectClaim, claim.id).decided_at
    assert before <= invited_at <= datetime.now(UTC)
    assert invited_at == decided


def test_a_refused_notification_is_not_sent_again(app_ctx, make_moment, vcdb, booking):
    moment_id = make_moment(days=1, slots=1)
    data = direct.ClaimData(
        person=PersonData(PEOPLE[1], "Claes", "An", "an@example.be", "+32470123456"),
        postcode="9000",
        language="nl",
    )
    claim = direct.claim_moment(moment_id, data)
    direct_jobs.check_claim(claim.id)
    notification = db.session.scalar(select(BookingNotification))
    # Someone else used the id already: the booking system refuses (409).
    booking_record = direct.notice_fields(notification)
    from app.adapters.booking import HttpBookingSystem, InvitationNotice

    with HttpBookingSystem(booking.url) as system:
        system.notify_invitation(
            InvitationNotice(**dict(booking_record, centre_id="dg-eupen"))
        )

    assert direct_jobs.notify_booking(notification.id) is False

    db.session.expire_all()
    notification = db.session.get(BookingNotification, notification.id)
    assert notification.state == NotificationState.FAILED
    assert notification.last_error == "booking-409-notification_id_reused"
    time_passes()
    assert direct_jobs.sweep() == 0
