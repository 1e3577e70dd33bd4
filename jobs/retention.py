"""Retention: erase what is kept longer than needed (app.services.retention).

`purge()` runs every hour from the cron process. Each batch is committed on
its own, so a run that stops half-way has lost nothing and the next run goes
on where it stopped; running it twice erases nothing twice.
"""

import logging
from collections import Counter
from datetime import UTC, datetime

from flask import current_app

from app.extensions import db
from app.services import retention
from jobs import job

logger = logging.getLogger(__name__)

BATCH = 200
MAX_BATCHES = 50  # a run's work is bounded; the next run takes the rest


@job
def purge(now=None):
    """Erase due entries, old submissions and the texts of finished messages.

    Returns how many entries were erased.
    """
    now = now or datetime.now(UTC)
    policy = retention.Policy.from_config(current_app.config)
    erased = Counter()
    for _ in range(MAX_BATCHES):
        due = retention.due_entries(policy, now, limit=BATCH)
        for entry_id, _reason in due:
            reason = retention.erase_if_due(entry_id, policy, now)
            if reason is not None:
                erased[reason] += 1
        db.session.commit()
        if len(due) < BATCH:
            break

    submissions = _in_batches(lambda: retention.purge_submissions(now, BATCH))
    messages = _in_batches(lambda: retention.erase_message_texts(BATCH))
    logger.info(
        "retention: erased %d booked, %d lapsed, %d withdrawn entries; "
        "%d submissions deleted; %d message texts blanked",
        erased[retention.BOOKED],
        erased[retention.LAPSED],
        erased[retention.WITHDRAWN],
        submissions,
        messages,
    )
    return sum(erased.values())


def _in_batches(step):
    done = 0
    for _ in range(MAX_BATCHES):
        count = step()
        db.session.commit()
        done += count
        if count < BATCH:
            break
    return done
