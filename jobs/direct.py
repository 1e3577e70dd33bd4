"""What follows a direct-slot claim, run by workers.

- `check_claim(claim_id)`: asks the vaccination code database whether the
  person may be invited, then confirms the claim or releases its slot
  (`app.services.direct`). While the database is down the claim keeps its
  slot and is tried again with a growing pause.
- `notify_booking(notification_pk)`: tells the regular booking system of a
  confirmed claim. A failure leaves the notification pending with the time
  of its next attempt; it is sent again until the booking system gives a
  receipt. The notification id makes a repeat harmless.
- `mark_invited(claim_id)`: records the invitation in the vaccination code
  database.
- `sweep()` (every minute, from cron): enqueues whatever is due, so work whose
  job was lost (Redis down at commit time, a worker that died) still happens.

Every job is safe to run twice: it reloads the row (locked on PostgreSQL)
and does nothing when the work is done.
"""

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app

from app.adapters import booking, vcdb
from app.extensions import db
from app.models import (
    BookingNotification,
    ClaimReason,
    ClaimState,
    NotificationState,
)
from app.queue import enqueue_unique
from app.services import direct, eligibility
from jobs import job

logger = logging.getLogger(__name__)

CLOCK_SLACK = timedelta(seconds=5)
# A confirmed claim's own mark-invited job gets this long before the sweep.
MARK_GRACE = timedelta(minutes=1)


def start_check(claim_id):
    """Enqueue the claim's check; never fails the caller when Redis is down."""
    enqueue_unique("high", check_claim, claim_id, kind="direct-check")


def start_notify(notification_pk):
    enqueue_unique("default", notify_booking, notification_pk, kind="booking-notify")


def start_mark_invited(claim_id):
    enqueue_unique("default", mark_invited, claim_id, kind="direct-mark-invited")


@job
def check_claim(claim_id):
    now = datetime.now(UTC)
    claim = direct.locked_claim(claim_id)
    if claim is None or claim.state != ClaimState.CHECKING:
        db.session.rollback()
        return "done"
    if claim.next_check_at is not None and claim.next_check_at > now + CLOCK_SLACK:
        db.session.rollback()
        return "not due"

    reason = direct.needs_check(claim)
    if reason is None and claim.moment.ends_at <= now:
        reason = ClaimReason.MOMENT_PASSED
    if reason is not None:
        direct.refuse_claim(claim, reason, now)
        db.session.commit()
        return "refused"

    person = claim.person
    try:
        with vcdb.from_config(current_app.config) as service:
            result = service.check_eligibility(person.ssin)
    except vcdb.VaccinationCodeServiceUnavailable:
        direct.record_check_unavailable(claim, now)
        db.session.commit()
        return "unavailable"
    eligibility.apply_result(person, result, now)
    if result.is_eligible:
        direct.confirm_claim(claim, now, current_app.config["BOOKING_SYSTEM_URL"])
        db.session.commit()
        notification = db.session.scalar(
            db.select(BookingNotification.id).filter_by(claim_id=claim_id)
        )
        start_notify(notification)
        start_mark_invited(claim_id)
        return "confirmed"
    direct.refuse_claim(claim, ClaimReason.NOT_ELIGIBLE, now)
    db.session.commit()
    return "refused"


@job
def notify_booking(notification_pk):
    """Send one pending notification; True when the booking system has it."""
    now = datetime.now(UTC)
    notification = direct.locked_notification(notification_pk)
    if notification is None or notification.state != NotificationState.PENDING:
        db.session.rollback()
        return False
    if notification.next_attempt_at > now + CLOCK_SLACK:
        db.session.rollback()
        return False

    fields = direct.notice_fields(notification)
    if fields is None:
        direct.mark_notification_failed(
            notification, "person-erased", retryable=False, now=now
        )
        db.session.commit()
        logger.warning("booking notification %s: person erased", notification_pk)
        return False
    try:
        with booking.from_config(current_app.config) as system:
            system.notify_invitation(booking.InvitationNotice(**fields))
    except booking.BookingSystemError as exc:
        error = f"booking-{exc.status_code or 'unreachable'}-{exc.error or '-'}"
        direct.mark_notification_failed(
            notification, error, retryable=exc.retryable, now=now
        )
        attempts = notification.attempts
        db.session.commit()
        log = logger.warning if exc.retryable else logger.error
        log(
            "booking notification %s not received (%s, attempt %d)%s",
            notification_pk,
            error,
            attempts,
            "" if exc.retryable else "; refused, not sent again",
        )
        return False
    direct.mark_notification_sent(notification, now)
    db.session.commit()
    return True


@job
def mark_invited(claim_id):
    """Record the invitation in the vaccination code database, once."""
    now = datetime.now(UTC)
    claim = direct.locked_claim(claim_id)
    if (
        claim is None
        or claim.state != ClaimState.CONFIRMED
        or claim.vcdb_marked_at is not None
        or claim.person is None
    ):
        db.session.rollback()
        return False
    moment = claim.moment
    try:
        with vcdb.from_config(current_app.config) as service:
            result = service.mark_invited(
                claim.person.ssin,
                invited_at=claim.decided_at,
                centre_id=moment.centre.code,
                date=moment.day,
            )
    except vcdb.VaccinationCodeServiceUnavailable:
        db.session.rollback()
        logger.warning("claim %s: not marked invited yet, the sweep retries", claim_id)
        return False
    if not result.invited:
        # Limitation: the database no longer lets this person be invited
        # (booked or deactivated since the check); the confirmation stands,
        # and the centre checks the code on the day.
        logger.warning("claim %s: vaccination code database refused", claim_id)
    claim.vcdb_marked_at = now
    db.session.commit()
    return True


@job
def sweep():
    """Enqueue every check, notification and marking that is due."""
    now = datetime.now(UTC)
    checks = direct.due_checks(now)
    notifications = direct.due_notifications(now)
    unmarked = direct.unmarked_claims(now - MARK_GRACE)
    db.session.rollback()
    for claim_id in checks:
        start_check(claim_id)
    for notification_pk in notifications:
        start_notify(notification_pk)
    for claim_id in unmarked:
        start_mark_invited(claim_id)
    total = len(checks) + len(notifications) + len(unmarked)
    if total:
        logger.info(
            "direct sweep: %d checks, %d notifications, %d markings",
            len(checks),
            len(notifications),
            len(unmarked),
        )
    return total
