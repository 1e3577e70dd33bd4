"""RQ job functions: small, taking ids, safe to run twice, committing their own work.

A worker process has no request; `app_context()` builds the application once
per process and pushes its context around each job, so jobs call the same
services as the views do.
"""

import functools
import logging
import time

logger = logging.getLogger(__name__)

_app = None


def get_app():
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app


def job(func):
    """Run `func` inside the application context and log one line about it."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from flask import has_app_context

        if has_app_context():
            # Called in-process (a test, a CLI command): share its session.
            return _run(func, args, kwargs, own_session=False)
        with get_app().app_context():
            return _run(func, args, kwargs, own_session=True)

    return wrapper


def _run(func, args, kwargs, own_session):
    from app.extensions import db

    started = time.perf_counter()
    name = f"{func.__module__}.{func.__name__}"
    try:
        result = func(*args, **kwargs)
    except Exception:
        db.session.rollback()
        logger.warning(
            "job %s args=%s failed after %.1fms",
            name,
            _ids(args),
            (time.perf_counter() - started) * 1000,
        )
        raise
    finally:
        if own_session:
            db.session.remove()
    logger.info(
        "job %s args=%s done in %.1fms",
        name,
        _ids(args),
        (time.perf_counter() - started) * 1000,
    )
    return result


def _ids(args):
    """Jobs take ids only; anything else is not written to the log."""
    return [a if isinstance(a, int) else "?" for a in args]
