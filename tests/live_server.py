"""The app as `make run` starts it: scripts/run.py on free ports, for tests.

    with LiveServer(environ, folder) as server:
        requests.get(server.base + "/nl/")

run.py starts its own simulators (vaccination code database, SMS gateway,
SMTP sink), worker, cron process and gunicorn, in LMB_ENV=development so the
demo staff accounts exist. With DATABASE_URL and REDIS_URL unset it also
starts its own Redis and SQLite under `folder`; otherwise it uses the
database URL and queue prefix it is given.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import requests
import sqlalchemy as sa

import config
from simulators.testing import free_port

ROOT = Path(__file__).resolve().parent.parent
# Settings that would point run.py at the test run's own simulators.
SIMULATED = (
    "VCDB_URL", "BOOKING_API_URL", "MAIL_HOST", "MAIL_PORT", "SMS_URL", "MAILDIR"
)  # fmt: skip


def run_py_environ(test_environ, **overrides):
    """The environment of run.py: the tests' one, less what run.py must start
    itself. `overrides` replace settings; a None value removes one."""
    env = dict(test_environ, LMB_ENV="development", PYTHONUNBUFFERED="1")
    for name in SIMULATED:
        env.pop(name, None)
    if not os.environ.get("DATABASE_URL"):
        env.pop("DATABASE_URL", None)
    if not os.environ.get("REDIS_URL"):
        env.pop("REDIS_URL", None)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@contextmanager
def own_schema(url, schema):
    """A PostgreSQL schema made for one server and dropped afterwards; yields
    `url` with that schema as its search path."""
    engine = sa.create_engine(config.normalise_database_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    parts = urlsplit(url)
    option = "options=" + quote(f"-csearch_path={schema}")
    query = f"{parts.query}&{option}" if parts.query else option
    try:
        yield urlunsplit(parts._replace(query=query))
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def wait_for(url, timeout=60, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"run.py exited with {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:  # not listening, or still booting
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url} did not answer in {timeout}s")


class LiveServer:
    """scripts/run.py as a child process; `base` is its address."""

    def __init__(self, environ, folder, timeout=90):
        self.environ = environ
        self.folder = Path(folder)
        self.timeout = timeout
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = self.folder / "run.log"
        self.process = None
        self._log = None

    def start(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [
            sys.executable, "scripts/run.py",
            "--port", str(self.port),
            "--vcdb-port", str(free_port()),
            "--booking-port", str(free_port()),
            "--sms-port", str(free_port()),
            "--smtp-port", str(free_port()),
            "--instance", str(self.folder / "instance"),
            "--web-workers", "1",
        ]  # fmt: skip
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=self.environ, stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            wait_for(self.base + "/healthz", self.timeout, self.process)
        except BaseException as exc:
            self.stop()
            tail = self.log_path.read_text()[-3000:]
            raise AssertionError(f"{exc}; end of its output:\n{tail}") from None
        return self

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
