"""Logging: one line per request and per job, carrying ids and never people.

Every record gets a `request_id` (from X-Request-ID when a proxy sets a sane
one, otherwise a fresh one) and the acting staff `user_id`, when there is one.
Paths are logged as their URL rule (`/<lang>/me/<token>`), never as typed, so
neither a token nor any value a person typed can reach a log line.
"""

import logging
import re
import time
import uuid

from flask import g, has_request_context, request

logger = logging.getLogger("lmb.request")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
FORMAT = (
    "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s user=%(user_id)s] "
    "%(message)s"
)


class ContextFilter(logging.Filter):
    """Adds request_id and user_id to every record."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = (
                g.get("request_id", "-") if has_request_context() else "-"
            )
        if not hasattr(record, "user_id"):
            record.user_id = g.get("user_id", "-") if has_request_context() else "-"
        return True


def configure_logging(level="INFO"):
    """Set up the root handler once for this process (app, worker or script)."""
    root = logging.getLogger()
    if not any(getattr(h, "_lmb", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._lmb = True
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug's own access log prints full paths; ours replaces it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def configure(app):
    configure_logging(app.config["LOG_LEVEL"])

    @app.before_request
    def start_request():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex[:16]
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response):
        duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        rule = request.url_rule.rule if request.url_rule else "<no route>"
        logger.info(
            "%s %s %s %.1fms", request.method, rule, response.status_code, duration
        )
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        return response
