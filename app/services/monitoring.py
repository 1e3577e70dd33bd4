"""How LMB's parts are doing, for the monitoring page and /metrics.

Nothing here reads or returns personal data: only states, counts, ages,
latencies, queue and worker names.

- Database and Redis: a trivial query and a ping, timed.
- Workers: RQ workers (Worker.all) that listen to at least one of our
  prefixed queues; the cron process is alive when the heartbeat key written
  by jobs.maintenance.heartbeat (every minute) is recent.
- Queues: waiting, running, scheduled and failed jobs per prefixed queue.
- Outbox: messages waiting (due now, or later after a failed attempt) and
  failed.
- External services (vaccination code database, booking system): an active
  probe (one GET with a short timeout, cached a few seconds; any HTTP answer
  below 500 means "reachable") plus the outcomes of real calls, counted per
  minute in Redis by `record_call`.
"""

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import func, select, text

from app.models import MessageState, OutboxMessage

logger = logging.getLogger(__name__)

OK, DEGRADED, DOWN, UNKNOWN = "ok", "degraded", "down", "unknown"
SEVERITY = {OK: 0, UNKNOWN: 1, DEGRADED: 2, DOWN: 3}

QUEUE_NAMES = ("high", "default", "low")
CALL_WINDOW_MINUTES = 15
CALL_KEY_TTL = 2 * 3600
PROBE_CACHE_SECONDS = 10
PROBE_TIMEOUT = 2.0
HEARTBEAT_KEY = "{prefix}:heartbeat:cron"
# The cron heartbeat runs every 60 s; three missed beats mean trouble.
HEARTBEAT_STALE_SECONDS = 180
# An external service whose recent calls fail this often is "degraded".
DEGRADED_ERROR_RATE = 0.1


def worst(states):
    states = list(states)
    return max(states, key=SEVERITY.__getitem__) if states else UNKNOWN


# Recording the outcome of calls to external services ------------------------

_recorder = {"connection": None, "prefix": None}


def configure_recorder(connection_factory, prefix):
    """Where `record_call` counts when given no connection (set by the app)."""
    _recorder["connection"] = connection_factory
    _recorder["prefix"] = prefix


def _call_key(prefix, service, minute):
    return f"{prefix}:mon:calls:{service}:{minute}"


def _last_key(prefix, service, outcome):
    return f"{prefix}:mon:last:{service}:{outcome}"


def record_call(service, ok, *, connection=None, prefix=None, now=None):
    """Count one call to `service` ("vcdb", "booking") as a success or failure.

    Counters are per minute and live two hours. Never raises: a monitoring
    hiccup must not fail the call it records.
    """
    try:
        if connection is None:
            factory = _recorder["connection"]
            connection = factory() if factory else None
            prefix = prefix or _recorder["prefix"]
        if connection is None or not prefix:
            return
        moment = now or time.time()
        minute = int(moment // 60)
        outcome = "ok" if ok else "fail"
        key = _call_key(prefix, service, minute)
        pipe = connection.pipeline(transaction=False)
        pipe.hincrby(key, outcome, 1)
        pipe.expire(key, CALL_KEY_TTL)
        pipe.set(_last_key(prefix, service, outcome), int(moment), ex=7 * 24 * 3600)
        pipe.execute()
    except Exception:  # noqa: BLE001 - the recorder must never break the caller
        logger.warning("could not record a %s call outcome", service)


@dataclass
class CallStats:
    ok: int = 0
    failed: int = 0
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None

    @property
    def total(self):
        return self.ok + self.failed

    @property
    def error_rate(self):
        return self.failed / self.total if self.total else None


def call_stats(connection, prefix, service, now=None, minutes=CALL_WINDOW_MINUTES):
    """Outcomes of calls to `service` over the last `minutes` minutes."""
    moment = now or time.time()
    current = int(moment // 60)
    pipe = connection.pipeline(transaction=False)
    for minute in range(current - minutes + 1, current + 1):
        pipe.hgetall(_call_key(prefix, service, minute))
    pipe.get(_last_key(prefix, service, "ok"))
    pipe.get(_last_key(prefix, service, "fail"))
    *counts, last_ok, last_fail = pipe.execute()
    stats = CallStats()
    for count in counts:
        stats.ok += int(count.get(b"ok", 0))
        stats.failed += int(count.get(b"fail", 0))
    stats.last_success_at = _epoch(last_ok)
    stats.last_failure_at = _epoch(last_fail)
    return stats


def _epoch(raw):
    return datetime.fromtimestamp(int(raw), UTC) if raw else None


# Active probes ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An external service to probe: `url` is fetched with GET."""

    name: str
    url: str | None
    headers: dict = field(default_factory=dict)
    cert: object = None
    timeout: float = PROBE_TIMEOUT


@dataclass
class Probe:
    reachable: bool
    status_code: int | None = None
    latency_ms: float | None = None
    error: str | None = None  # an exception class name, never a message
    at: datetime | None = None

    def to_dict(self):
        data = dict(self.__dict__)
        data["at"] = self.at.isoformat() if self.at else None
        return data

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        data["at"] = datetime.fromisoformat(data["at"]) if data.get("at") else None
        return cls(**data)


def probe(target, now=None):
    """One GET of `target.url`: reachable when it answers below 500."""
    now = now or datetime.now(UTC)
    if not target.url:
        return Probe(reachable=False, error="NotConfigured", at=now)
    started = time.monotonic()
    try:
        response = requests.get(
            target.url,
            headers=target.headers,
            cert=target.cert,
            timeout=target.timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return Probe(reachable=False, error=type(exc).__name__, at=now)
    latency = (time.monotonic() - started) * 1000
    response.close()
    return Probe(
        reachable=response.status_code < 500,
        status_code=response.status_code,
        latency_ms=round(latency, 1),
        at=now,
    )


def cached_probe(connection, prefix, target, now=None):
    """`probe(target)`, reused for PROBE_CACHE_SECONDS across viewers."""
    key = f"{prefix}:mon:probe:{target.name}"
    if connection is not None:
        try:
            raw = connection.get(key)
            if raw:
                return Probe.from_dict(json.loads(raw))
        except (RedisError, ValueError, TypeError):
            pass
    result = probe(target, now)
    if connection is not None:
        try:
            connection.set(key, json.dumps(result.to_dict()), ex=PROBE_CACHE_SECONDS)
        except RedisError:
            pass
    return result


@dataclass
class ServiceHealth:
    name: str
    state: str
    probe: Probe
    calls: CallStats | None


def service_health(connection, prefix, target, now=None):
    probe_result = cached_probe(connection, prefix, target, now)
    try:
        calls = call_stats(connection, prefix, target.name) if connection else None
    except RedisError:
        calls = None
    if not probe_result.reachable:
        state = DOWN
    elif calls and calls.failed and calls.error_rate >= DEGRADED_ERROR_RATE:
        state = DEGRADED
    else:
        state = OK
    return ServiceHealth(target.name, state, probe_result, calls)


# Database, Redis, workers, queues, outbox -------------------------------------


@dataclass
class Check:
    state: str
    latency_ms: float | None = None
    error: str | None = None


def check_database(session):
    started = time.monotonic()
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any driver error means "down"
        session.rollback()
        return Check(DOWN, error=type(exc).__name__)
    return Check(OK, round((time.monotonic() - started) * 1000, 1))


def check_redis(connection):
    if connection is None:
        return Check(DOWN, error="NotConfigured")
    started = time.monotonic()
    try:
        connection.ping()
    except RedisError as exc:
        return Check(DOWN, error=type(exc).__name__)
    return Check(OK, round((time.monotonic() - started) * 1000, 1))


@dataclass
class WorkerInfo:
    name: str
    state: str
    queues: list
    last_heartbeat_at: datetime | None


@dataclass
class Workers:
    state: str
    workers: list = field(default_factory=list)
    unserved_queues: list = field(default_factory=list)
    heartbeat_at: datetime | None = None
    heartbeat_state: str = UNKNOWN


def queue_names(prefix):
    return [f"{prefix}-{name}" for name in QUEUE_NAMES]


def check_workers(connection, prefix, now=None):
    """Workers listening to our queues, and the cron heartbeat."""
    now = now or datetime.now(UTC)
    ours = queue_names(prefix)
    workers = []
    for worker in Worker.all(connection=connection, serializer=JSONSerializer):
        names = [q for q in worker.queue_names() if q in ours]
        if names:
            workers.append(
                WorkerInfo(
                    worker.name, worker.get_state(), names, worker.last_heartbeat
                )
            )
    served = {q for w in workers for q in w.queues}
    result = Workers(
        state=OK,
        workers=sorted(workers, key=lambda w: w.name),
        unserved_queues=[q for q in ours if q not in served],
    )
    if not workers:
        result.state = DOWN
    elif result.unserved_queues:
        result.state = DEGRADED

    raw = connection.get(HEARTBEAT_KEY.format(prefix=prefix))
    result.heartbeat_at = _epoch(raw)
    if result.heartbeat_at is None:
        result.heartbeat_state = DOWN
    elif now - result.heartbeat_at > timedelta(seconds=HEARTBEAT_STALE_SECONDS):
        result.heartbeat_state = DOWN
    else:
        result.heartbeat_state = OK
    return result


@dataclass
class QueueInfo:
    name: str
    waiting: int
    running: int
    scheduled: int
    failed: int


def queue_stats(connection, prefix):
    stats = []
    for name in queue_names(prefix):
        queue = Queue(name, connection=connection, serializer=JSONSerializer)
        stats.append(
            QueueInfo(
                name=name,
                waiting=queue.count,
                running=StartedJobRegistry(queue=queue).count,
                scheduled=ScheduledJobRegistry(queue=queue).count,
                failed=FailedJobRegistry(queue=queue).count,
            )
        )
    return stats


@dataclass
class OutboxInfo:
    queued: int
    due: int
    sent: int
    failed: int
    oldest_due_seconds: int | None

    @property
    def state(self):
        if self.oldest_due_seconds is not None and self.oldest_due_seconds > 600:
            return DEGRADED
        return OK


def outbox_stats(session, now=None):
    now = now or datetime.now(UTC)
    counts = dict(
        session.execute(
            select(OutboxMessage.state, func.count(OutboxMessage.id)).group_by(
                OutboxMessage.state
            )
        ).all()
    )
    due_filter = (OutboxMessage.state == MessageState.QUEUED) & (
        OutboxMessage.next_attempt_at <= now
    )
    due = session.scalar(select(func.count(OutboxMessage.id)).where(due_filter))
    oldest = session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(due_filter)
    )
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return OutboxInfo(
        queued=counts.get(MessageState.QUEUED, 0),
        due=due or 0,
        sent=counts.get(MessageState.SENT, 0),
        failed=counts.get(MessageState.FAILED, 0),
        oldest_due_seconds=int((now - oldest).total_seconds()) if oldest else None,
    )


# Request rate ----------------------------------------------------------------


def request_rate(connection, prefix, total, now=None):
    """Requests per minute since the previous reading of the cumulative
    request count `total` (stored in Redis); None on the first reading or
    after a restart reset the count."""
    moment = now or time.time()
    key = f"{prefix}:mon:requests"
    try:
        raw = connection.get(key)
        previous = json.loads(raw) if raw else None
        if previous is None or moment - previous["t"] >= 10:
            connection.set(key, json.dumps({"t": moment, "total": total}), ex=3600)
    except (RedisError, ValueError, TypeError, KeyError):
        return None
    if previous is None:
        return None
    elapsed = moment - previous["t"]
    if elapsed <= 0 or total < previous["total"]:
        return None
    return round((total - previous["total"]) * 60 / elapsed, 1)


# Everything at once ------------------------------------------------------------


@dataclass
class Status:
    at: datetime
    state: str
    database: Check
    redis: Check
    workers: Workers | None
    queues: list
    outbox: OutboxInfo | None
    services: list
    requests: dict | None = None

    @property
    def failed_jobs(self):
        return sum(q.failed for q in self.queues)


def collect(session, connection, prefix, targets, now=None):
    """The status of every part; Redis or the database being down is a
    finding, not an error."""
    now = now or datetime.now(UTC)
    database = check_database(session)
    redis_check = check_redis(connection)
    workers, queues = None, []
    if redis_check.state == OK:
        try:
            workers = check_workers(connection, prefix, now)
            queues = queue_stats(connection, prefix)
        except RedisError:
            logger.warning("monitoring: Redis failed while reading workers and queues")
            redis_check = Check(DOWN, error="RedisError")
    outbox = outbox_stats(session, now) if database.state == OK else None
    redis_ok = redis_check.state == OK
    services = [
        service_health(connection if redis_ok else None, prefix, target, now)
        for target in targets
    ]

    states = [database.state, redis_check.state]
    if workers is not None:
        states += [workers.state, workers.heartbeat_state]
    if outbox is not None:
        states.append(outbox.state)
    states += [service.state for service in services]
    return Status(
        at=now,
        state=worst(states),
        database=database,
        redis=redis_check,
        workers=workers,
        queues=queues,
        outbox=outbox,
        services=services,
    )
