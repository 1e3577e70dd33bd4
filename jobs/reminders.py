"""Reminders before availability runs out, and pruning of past day parts."""

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from app import notices
from app.extensions import db
from app.models import Entry, EntryState
from app.services import entries
from jobs import job

logger = logging.getLogger(__name__)


@job
def send_reminders():
    """E-mail a reminder two days before an entry's availability runs out.

    Runs hourly; `reminded_for` makes a second run (or a second worker) send
    nothing more for the same end date.
    """
    now = datetime.now(UTC)
    today = entries.today_local(now)
    sent = 0
    for entry in entries.entries_to_remind(today):
        notices.availability_reminder(entry)
        entry.reminded_for = entry.available_until
        sent += 1
    pruned = 0
    active = db.session.scalars(
        select(Entry)
        .where(Entry.state.in_((EntryState.ACTIVE, EntryState.PAUSED)))
        .where(Entry.avail_from_day < entries.availability.day_number(today))
    )
    for entry in active:
        pruned += entries.prune_past_availability(entry, now)
    db.session.commit()
    logger.info("reminders sent: %d, entries pruned: %d", sent, pruned)
    return sent
