"""Campaign jobs: invitation waves, expiry checks, and the sweep behind them.

- `invite_wave(campaign_id)`: one job id per campaign, so waves asked for
  while one waits collapse into it; asked for while one runs, one more
  follows it (a second id), so a slot freed during a wave is not forgotten.
- `check_expiry(invitation_id)`: scheduled at the invitation's expires_at
  (RQ's scheduler, `rq worker --with-scheduler`); asks again a minute later
  while the vaccination code database is down.
- `sweep()`: every minute from cron. Closes campaigns that ended, withdraws
  invitations whose message could not be handed over in time, checks SENT
  invitations whose scheduled check went missing, and starts a wave for
  every campaign with room (new registrations, lost jobs).

Services note what must follow a commit; `dispatch` (called after the
commit, see app.services.invitations) enqueues it. Every enqueue survives
Redis being down: the sweep catches up.
"""

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from app.adapters import vcdb
from app.centre.links import campaign_links
from app.extensions import db
from app.queue import get_queue, job_id
from app.services import campaigns, invitations
from jobs import job

logger = logging.getLogger(__name__)

QUEUE = "high"
WAVE_TIMEOUT = 600
CHECK_TIMEOUT = 120
FAILED_TTL = 24 * 3600
# A SENT invitation this long past its expiry lost its scheduled check
# (longer than the one-minute retry, so the two do not race).
OVERDUE_GRACE = timedelta(minutes=2)
_WAITING = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


def _now():
    return datetime.now(UTC)


def _service():
    return vcdb.from_config(current_app.config)


# Jobs ------------------------------------------------------------------------


@job
def invite_wave(campaign_id):
    with _service() as service:
        written = campaigns.invite_wave(
            campaign_id, service=service, links=campaign_links(), now=_now()
        )
    return len(written)


@job
def check_expiry(invitation_id):
    with _service() as service:
        outcome = invitations.check_expiry(
            invitation_id, service=service, links=campaign_links(), now=_now()
        )
    db.session.commit()
    return outcome


@job
def sweep():
    now = _now()
    ended = campaigns.close_ended(now)
    withdrawn = invitations.withdraw_late(now)
    db.session.commit()
    overdue = invitations.overdue(now, OVERDUE_GRACE)
    waves = campaigns.inviting(now)
    db.session.rollback()
    for invitation_id in overdue:
        _enqueue(check_expiry, invitation_id, kind="check-expiry-sweep")
    for campaign_id in waves:
        request_wave(campaign_id)
    if ended or withdrawn or overdue:
        logger.info(
            "campaign sweep: %d ended, %d withdrawn late, %d overdue, %d waves",
            len(ended),
            len(withdrawn),
            len(overdue),
            len(waves),
        )
    return len(waves)


# Enqueueing ------------------------------------------------------------------


def dispatch(waves=(), checks=None):
    """Enqueue what committed changes asked for: waves, and expiry checks
    {invitation id: when}."""
    for campaign_id in waves:
        request_wave(campaign_id)
    for invitation_id, at in (checks or {}).items():
        schedule_check(invitation_id, at)


def request_wave(campaign_id):
    """Enqueue a wave of the campaign unless one is waiting; if one is
    running, one more after it. False when Redis is down."""
    for kind in ("invite-wave", "invite-wave-next"):
        outcome = _enqueue(invite_wave, campaign_id, kind=kind, timeout=WAVE_TIMEOUT)
        if outcome != JobStatus.STARTED:
            return outcome is not None
    return True  # both running: the sweep starts another within a minute


def schedule_check(invitation_id, at):
    """Check the invitation at `at` (at once if that has passed)."""
    stamp = int(at.timestamp())
    key = job_id("check-expiry", invitation_id, stamp)
    try:
        queue = get_queue(QUEUE)
        if at <= _now():
            _enqueue(check_expiry, invitation_id, kind="check-expiry", extra=stamp)
            return True
        queue.enqueue_at(
            at,
            check_expiry,
            invitation_id,
            job_id=key,
            result_ttl=0,
            failure_ttl=FAILED_TTL,
            job_timeout=CHECK_TIMEOUT,
        )
        return True
    except RedisError:
        logger.warning(
            "invitation %s: cannot schedule its check, Redis unavailable",
            invitation_id,
        )
        return False


def _enqueue(func, thing_id, *, kind, extra=None, timeout=CHECK_TIMEOUT):
    """Enqueue func(thing_id) under a unique id. Returns "queued" when
    enqueued or already waiting, JobStatus.STARTED when one is running, None
    when Redis is down. A finished or failed job of the id makes room."""
    ids = (thing_id,) if extra is None else (thing_id, extra)
    key = job_id(kind, *ids)
    try:
        queue = get_queue(QUEUE)
        for _ in range(2):
            try:
                queue.enqueue(
                    func,
                    thing_id,
                    job_id=key,
                    unique=True,
                    result_ttl=0,
                    failure_ttl=FAILED_TTL,
                    job_timeout=timeout,
                )
                return JobStatus.QUEUED
            except DuplicateJobError:
                try:
                    old = Job.fetch(
                        key, connection=queue.connection, serializer=JSONSerializer
                    )
                except NoSuchJobError:
                    continue  # it ended in between: enqueue anew
                status = old.get_status(refresh=False)
                if status in _WAITING:
                    return JobStatus.QUEUED
                if status == JobStatus.STARTED:
                    return JobStatus.STARTED
                old.delete()  # failed or stopped: make room
        return JobStatus.QUEUED
    except RedisError:
        logger.warning("could not enqueue %s %s: Redis unavailable", kind, thing_id)
        return None
