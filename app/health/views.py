"""Liveness and readiness probes for the load balancer and the monitoring."""

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.extensions import db
from app.queue import redis_connection

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive and answers; nothing else is checked."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database and Redis answer; 503 naming what does not."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    failing = sorted(name for name, ok in checks.items() if not ok)
    body = {
        "status": "ok" if not failing else "unavailable",
        "checks": {name: "ok" if ok else "failing" for name, ok in checks.items()},
    }
    if failing:
        body["failing"] = failing
        return jsonify(body), 503
    return jsonify(body)


def _check_database():
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "not ready"
        logger.warning("readiness: database check failed", exc_info=True)
        db.session.rollback()
        return False


def _check_redis():
    try:
        return bool(redis_connection().ping())
    except Exception:  # any client error means "not ready"
        logger.warning("readiness: redis check failed")
        return False
