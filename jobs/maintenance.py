"""Housekeeping jobs run by the cron process."""

import time

from flask import current_app

from app.queue import redis_connection
from jobs import job

HEARTBEAT_KEY = "{prefix}:heartbeat:cron"


@job
def heartbeat():
    """Record that the cron process and a worker are alive (read by monitoring)."""
    key = HEARTBEAT_KEY.format(prefix=current_app.config["RQ_QUEUE_PREFIX"])
    redis_connection().set(key, int(time.time()), ex=3600)
    return True
