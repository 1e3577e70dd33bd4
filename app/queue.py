"""Redis and the RQ queues: one place that knows how to reach them.

Queues are named `<RQ_QUEUE_PREFIX>-default` (and so on), so that tests and
several deployments can share one Redis server without touching each
other's jobs. Job arguments are ids only, serialised as JSON.
"""

import logging
from functools import lru_cache

from flask import current_app
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

logger = logging.getLogger(__name__)

QUEUE_NAMES = ("high", "default", "low")


@lru_cache(maxsize=8)
def _connect(url):
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def redis_connection(url=None):
    url = url or current_app.config["REDIS_URL"]
    if not url:
        raise RuntimeError("REDIS_URL is not set.")
    return _connect(url)


def queue_name(name="default", prefix=None):
    prefix = prefix or current_app.config["RQ_QUEUE_PREFIX"]
    return f"{prefix}-{name}"


def get_queue(name="default"):
    return Queue(
        queue_name(name),
        connection=redis_connection(),
        serializer=JSONSerializer,
    )


def job_id(kind, *ids):
    """A deterministic job id: one job per (kind, thing) at a time."""
    prefix = current_app.config["RQ_QUEUE_PREFIX"]
    return "-".join([prefix, kind, *(str(i) for i in ids)])


def enqueue_unique(queue, func, *ids, kind):
    """Enqueue `func(*ids)` once per (kind, ids); False when Redis is down.

    A job with the same id still waiting, scheduled or running is left alone.
    A finished job leaves no trace (result_ttl=0); a failed or stopped one is
    replaced, so asking again redoes the work at once. Callers commit first:
    the job reads what they wrote.
    """
    from redis.exceptions import RedisError
    from rq.exceptions import DuplicateJobError
    from rq.job import Job, JobStatus

    target = get_queue(queue)
    identifier = job_id(kind, *ids)
    options = {
        "job_id": identifier,
        "unique": True,
        "result_ttl": 0,
        "failure_ttl": 900,
    }
    try:
        try:
            target.enqueue(func, *ids, **options)
        except DuplicateJobError:
            existing = Job.fetch(
                identifier, connection=target.connection, serializer=JSONSerializer
            )
            done = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)
            if existing.get_status(refresh=False) not in done:
                return True
            existing.delete()
            target.enqueue(func, *ids, **options)
        return True
    except DuplicateJobError:
        return True
    except RedisError:
        logger.warning("could not enqueue %s %s: Redis unavailable", kind, ids)
        return False
