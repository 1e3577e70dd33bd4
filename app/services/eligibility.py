"""Recording what the vaccination code database says about a person.

The answer (status and vaccination code) is stored with the person: it is
the fallback when the database cannot be reached at invitation time. While
the database is down, the check stays pending and is retried with a growing
pause; nothing is lost.
"""

import logging
from datetime import timedelta

from sqlalchemy import select

from app.adapters.vcdb import EligibilityStatus
from app.extensions import db
from app.models import Eligibility, Person

logger = logging.getLogger(__name__)

STATUS = {
    EligibilityStatus.ELIGIBLE: Eligibility.ELIGIBLE,
    EligibilityStatus.NOT_ELIGIBLE: Eligibility.NOT_ELIGIBLE,
    EligibilityStatus.BOOKED: Eligibility.BOOKED,
    EligibilityStatus.VACCINATED: Eligibility.VACCINATED,
    EligibilityStatus.UNKNOWN: Eligibility.UNKNOWN,
}
# Pause before the next attempt, by number of failed attempts so far.
BACKOFF = (30, 60, 120, 300, 600, 900)


def apply_result(person, result, now):
    """Store the answer; return the eligibility the person had before."""
    before = person.eligibility
    person.eligibility = STATUS[result.status]
    if result.vaccination_code:
        person.vaccination_code = result.vaccination_code
    person.checked_at = now
    if person.eligibility == Eligibility.ELIGIBLE and person.accepted_at is None:
        person.accepted_at = now
    person.next_check_at = None
    person.check_attempts = 0
    logger.info("person %s checked", person.id)
    return before


def record_unavailable(person, now):
    """The database could not answer: try again later."""
    pause = BACKOFF[min(person.check_attempts, len(BACKOFF) - 1)]
    person.check_attempts += 1
    person.next_check_at = now + timedelta(seconds=pause)
    logger.warning(
        "person %s: eligibility service unavailable, attempt %d, next in %ds",
        person.id,
        person.check_attempts,
        pause,
    )


def due_checks(now, limit=500):
    """Ids of people whose check is pending and due (their job may be lost)."""
    return db.session.scalars(
        select(Person.id)
        .where(
            Person.eligibility == Eligibility.PENDING,
            Person.next_check_at <= now,
        )
        .order_by(Person.next_check_at)
        .limit(limit)
    ).all()
