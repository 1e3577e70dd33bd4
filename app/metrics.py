"""Request metrics, the status of every part, and GET /metrics for Prometheus.

Each request is timed into one histogram, labelled by method, route pattern
(never the path itself: paths may carry tokens) and status code.

Several gunicorn processes: with PROMETHEUS_MULTIPROC_DIR set in the
environment of every process (an empty folder, emptied at each start), the
processes write their values there and /metrics and the monitoring page add
them up. Without it each process only knows its own requests.
# Limitation: without PROMETHEUS_MULTIPROC_DIR, request figures (on /metrics
# and on the monitoring page) cover only the process that answers; the other
# figures are read from the database and Redis and are complete.

/metrics answers 404 unless METRICS_TOKEN is set, and 401 unless the request
carries `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time).
"""

import hmac
import logging
import os
import time

from flask import Blueprint, Response, abort, current_app, g, request
from flask_babel import format_decimal
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from app.adapters import booking
from app.extensions import db
from app.queue import redis_connection
from app.services import monitoring, reports

logger = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

REQUEST_SECONDS = Histogram(
    "lmb_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route pattern and status.",
    ["method", "route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=None,
)
STATE_VALUES = {monitoring.OK: 1, monitoring.DEGRADED: 0.5, monitoring.DOWN: 0}


def init_app(app):
    # Numbers written the page's language's way: 12.345 and 173,1 in Dutch.
    app.jinja_env.filters["decimal"] = lambda value: format_decimal(value, "#,##0.0")
    app.jinja_env.filters["number"] = lambda value: format_decimal(value, "#,##0")
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(bp)
    url, prefix = app.config.get("REDIS_URL"), app.config["RQ_QUEUE_PREFIX"]
    if url:
        monitoring.configure_recorder(lambda: redis_connection(url), prefix)


def _start_timer():
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        REQUEST_SECONDS.labels(
            request.method, route, str(response.status_code)
        ).observe(time.perf_counter() - started)
    return response


def request_registry():
    """A registry holding the request histogram of every process (multiprocess
    mode) or of this one."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    return registry


def request_summary():
    """Requests answered so far: total, server errors, mean and percentiles."""
    counts, buckets, total_seconds, errors = 0, {}, 0.0, 0
    for family in request_registry().collect():
        if family.name != "lmb_http_request_duration_seconds":
            continue
        for sample in family.samples:
            if sample.name.endswith("_count"):
                counts += sample.value
                if sample.labels.get("status", "").startswith("5"):
                    errors += sample.value
            elif sample.name.endswith("_sum"):
                total_seconds += sample.value
            elif sample.name.endswith("_bucket"):
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0) + sample.value
    counts = int(counts)
    return {
        "total": counts,
        "server_errors": int(errors),
        "mean_ms": round(total_seconds / counts * 1000, 1) if counts else None,
        "p50_ms": _quantile(buckets, counts, 0.5),
        "p95_ms": _quantile(buckets, counts, 0.95),
    }


def _quantile(buckets, count, q):
    """Estimate a quantile from cumulative buckets (linear within a bucket)."""
    if not count:
        return None
    rank, lower, below = q * count, 0.0, 0
    for bound in sorted(buckets):
        cumulative = buckets[bound]
        if cumulative >= rank:
            if bound == float("inf"):
                return round(lower * 1000, 1)
            share = (rank - below) / (cumulative - below) if cumulative > below else 1
            return round((lower + (bound - lower) * share) * 1000, 1)
        lower, below = bound, cumulative
    return None


def targets(config):
    """The external services the monitoring probes."""
    vcdb_url = config.get("VCDB_URL")
    headers = {}
    if config.get("VCDB_TOKEN"):
        headers["Authorization"] = f"Bearer {config['VCDB_TOKEN']}"
    cert = config.get("VCDB_CLIENT_CERT") or None
    if cert and config.get("VCDB_CLIENT_KEY"):
        cert = (cert, config["VCDB_CLIENT_KEY"])
    timeout = min(float(config.get("VCDB_TIMEOUT") or 2), monitoring.PROBE_TIMEOUT)
    return [
        # The eligibility resource itself, with GET: a live service answers
        # 405 (or 401/404), an overloaded or failing one 5xx.
        monitoring.Target(
            "vcdb",
            vcdb_url.rstrip("/") + "/api/v1/eligibility" if vcdb_url else None,
            headers=headers,
            cert=cert,
            timeout=timeout,
        ),
        _booking_target(config),
    ]


def _booking_target(config):
    """The booking system's API (BOOKING_API_*), probed like the database:
    a GET on the resource LMB posts to; else the address people book at."""
    url = config.get("BOOKING_API_URL")
    if not url:
        return monitoring.Target("booking", config.get("BOOKING_SYSTEM_URL"))
    headers = {}
    if config.get("BOOKING_API_TOKEN"):
        headers["Authorization"] = f"Bearer {config['BOOKING_API_TOKEN']}"
    cert = config.get("BOOKING_API_CLIENT_CERT") or None
    if cert and config.get("BOOKING_API_CLIENT_KEY"):
        cert = (cert, config["BOOKING_API_CLIENT_KEY"])
    return monitoring.Target(
        "booking",
        url.rstrip("/") + booking.PATH,
        headers=headers,
        cert=cert,
        timeout=monitoring.PROBE_TIMEOUT,
    )


def _redis():
    try:
        return redis_connection()
    except RuntimeError:
        return None


def current_status():
    """Every part's status, with request figures, now."""
    config = current_app.config
    connection = _redis()
    status = monitoring.collect(
        db.session, connection, config["RQ_QUEUE_PREFIX"], targets(config)
    )
    summary = request_summary()
    summary["per_minute"] = (
        monitoring.request_rate(connection, config["RQ_QUEUE_PREFIX"], summary["total"])
        if connection is not None and status.redis.state == monitoring.OK
        else None
    )
    status.requests = summary
    return status


def public_figures():
    """The public figures, cached in Redis for up to an hour."""
    connection = _redis()
    if connection is None:
        return reports.public_figures()
    key = f"{current_app.config['RQ_QUEUE_PREFIX']}:figures:public"
    return reports.cached_public_figures(connection, key)


class _StatusCollector:
    """The monitoring figures as Prometheus metric families."""

    def __init__(self, status, figures):
        self.status = status
        self.figures = figures

    def collect(self):
        status = self.status
        up = GaugeMetricFamily(
            "lmb_component_up",
            "1 when the part works, 0.5 when degraded, 0 when down.",
            labels=["component"],
        )
        up.add_metric(["database"], STATE_VALUES.get(status.database.state, 0))
        up.add_metric(["redis"], STATE_VALUES.get(status.redis.state, 0))
        if status.workers is not None:
            up.add_metric(["workers"], STATE_VALUES.get(status.workers.state, 0))
            up.add_metric(
                ["scheduler"], STATE_VALUES.get(status.workers.heartbeat_state, 0)
            )
        for service in status.services:
            up.add_metric([service.name], STATE_VALUES.get(service.state, 0))
        yield up

        if status.workers is not None:
            yield GaugeMetricFamily(
                "lmb_workers", "RQ workers on our queues.", len(status.workers.workers)
            )
            if status.workers.heartbeat_at is not None:
                yield GaugeMetricFamily(
                    "lmb_cron_heartbeat_timestamp_seconds",
                    "When the cron heartbeat job last ran.",
                    status.workers.heartbeat_at.timestamp(),
                )
        jobs = GaugeMetricFamily(
            "lmb_queue_jobs", "Jobs per queue and state.", labels=["queue", "state"]
        )
        for queue in status.queues:
            for state in ("waiting", "running", "scheduled", "failed"):
                jobs.add_metric([queue.name, state], getattr(queue, state))
        yield jobs

        if status.outbox is not None:
            outbox = GaugeMetricFamily(
                "lmb_outbox_messages", "Outbox messages per state.", labels=["state"]
            )
            for state in ("queued", "due", "sent", "failed"):
                outbox.add_metric([state], getattr(status.outbox, state))
            yield outbox
            yield GaugeMetricFamily(
                "lmb_outbox_oldest_due_seconds",
                "Age of the oldest message due for delivery (0 when none).",
                status.outbox.oldest_due_seconds or 0,
            )

        calls = GaugeMetricFamily(
            "lmb_external_calls_recent",
            f"Calls to external services in the last "
            f"{monitoring.CALL_WINDOW_MINUTES} minutes, by outcome.",
            labels=["service", "outcome"],
        )
        last = GaugeMetricFamily(
            "lmb_external_last_success_timestamp_seconds",
            "When a call to the service last succeeded.",
            labels=["service"],
        )
        latency = GaugeMetricFamily(
            "lmb_external_probe_seconds",
            "Answer time of the last probe of the service.",
            labels=["service"],
        )
        for service in status.services:
            if service.calls is not None:
                calls.add_metric([service.name, "ok"], service.calls.ok)
                calls.add_metric([service.name, "failed"], service.calls.failed)
                if service.calls.last_success_at:
                    last.add_metric(
                        [service.name], service.calls.last_success_at.timestamp()
                    )
            if service.probe.latency_ms is not None:
                latency.add_metric([service.name], service.probe.latency_ms / 1000)
        yield calls
        yield last
        yield latency

        for name, value, meaning in (
            ("lmb_people_on_list", self.figures.people_on_list, "People on the list."),
            (
                "lmb_invitations_sent",
                self.figures.invitations_sent,
                "Invitations sent since the start.",
            ),
            (
                "lmb_doses_booked",
                self.figures.doses_booked,
                "Places booked through invitations since the start.",
            ),
            (
                "lmb_centres_taking_part",
                self.figures.centres_taking_part,
                "Centres with at least one campaign.",
            ),
        ):
            yield GaugeMetricFamily(name, meaning, value)


def _authorised():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


@bp.get("/metrics")
def metrics():
    if not _authorised():
        return Response(
            "authorization required\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )

    registry = request_registry()
    registry.register(_StatusCollector(current_status(), public_figures()))

    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
