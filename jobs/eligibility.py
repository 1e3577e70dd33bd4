"""The eligibility check of an entry's people, run by a worker.

`start_check` is called after the registration is committed; if Redis is
down at that moment, `sweep` (every minute, from cron) finds the entry again,
as it finds checks whose service was down. The job is safe to run twice:
people already checked since the last submission are not asked again, and
each submission's outcome is mailed once.
"""

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app import notices
from app.adapters import vcdb
from app.extensions import db
from app.models import Eligibility, Entry, Person, Submission
from app.queue import enqueue_unique
from app.services import eligibility, entries, situations
from jobs import job

logger = logging.getLogger(__name__)


def start_check(entry_id):
    """Enqueue the check; never fails the caller when Redis is unavailable."""
    enqueue_unique("high", check_entry, entry_id, kind="check-entry")


@job
def check_entry(entry_id):
    now = datetime.now(UTC)
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        return "gone"
    waiting = db.session.scalars(
        select(Submission)
        .where(
            Submission.entry_id == entry_id,
            Submission.notified_at.is_(None),
            Submission.created_at > now - entries.SUBMISSION_TTL,
        )
        .order_by(Submission.created_at)
    ).all()
    since = waiting[0].created_at if waiting else None

    service = vcdb.from_config(current_app.config)
    unavailable = False
    for person in entry.people:
        stale = since is not None and (
            person.checked_at is None or person.checked_at < since
        )
        if person.eligibility != Eligibility.PENDING and not stale:
            continue
        try:
            result = service.check_eligibility(person.ssin)
        except vcdb.VaccinationCodeServiceUnavailable:
            eligibility.record_unavailable(person, now)
            unavailable = True
            continue
        eligibility.apply_result(person, result, now)
    entries.refresh_entry(entry)

    if not unavailable:
        # A group member who may not be invited leaves the group (situation c).
        situations.settle_group(entry, waiting)
        for submission in waiting:
            notices.registration_outcome(
                submission, entries.submission_outcome(submission)
            )
            submission.notified_at = now
    db.session.commit()
    return "unavailable" if unavailable else "checked"


@job
def sweep():
    """Restart checks whose job went missing or whose service was down."""
    now = datetime.now(UTC)
    person_entries = db.session.scalars(
        select(Person.entry_id).where(Person.id.in_(eligibility.due_checks(now)))
    ).all()
    lost_submissions = db.session.scalars(
        select(Submission.entry_id).where(
            Submission.notified_at.is_(None),
            Submission.created_at < now - timedelta(minutes=1),
            Submission.created_at > now - entries.SUBMISSION_TTL,
        )
    ).all()
    entry_ids = sorted(set(person_entries) | {e for e in lost_submissions if e})
    for entry_id in entry_ids:
        start_check(entry_id)
    return len(entry_ids)
