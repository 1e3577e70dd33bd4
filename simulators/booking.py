"""Simulator of the regular booking system's API, for development and tests.

Run it with ``python -m simulators.booking --host 127.0.0.1 --port 5102``. It
speaks the contract in docs/booking-contract.md, which `app.adapters.booking`
is the client of, and behaves like a real service: it can be slow, fail a
share of requests, be down, or lose its answers (the notification is kept but
the client hears 504), which is what the notification id is for.

Flags (each also read from the environment, the flag wins): ``--latency-ms``
(BOOKING_SIM_LATENCY_MS), ``--error-rate`` 0..1 (BOOKING_SIM_ERROR_RATE),
``--outage`` (BOOKING_SIM_OUTAGE), ``--seed`` (BOOKING_SIM_SEED) and
``--token`` (BOOKING_SIM_TOKEN: require this bearer token).

The service's endpoint: ``POST /api/v1/lmb-invitations``. The controls, which
a real service does not have:

- ``GET /_sim/health``: 200 while the process runs, even during an outage.
- ``GET /_sim/config``; ``POST /_sim/config`` with any of ``latency_ms``,
  ``error_rate``, ``outage``, ``fail_next`` (answer the next N requests 503),
  ``lose_next`` (keep the next N notifications but answer 504), ``seed``,
  ``required_token``.
- ``GET /_sim/notifications``: every notification kept, oldest first, each
  with ``deliveries`` (how many times it was posted, duplicates included).
- ``POST /_sim/reset``: forget the notifications, back to the start settings.
- ``GET /_sim/stats``: request counters.

Vaccination codes travel in JSON bodies only; the access log shows method,
path and status (`simulators.QuietRequestHandler`).
"""

import argparse
import os
import random
import re
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from simulators import serve

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
NOTIFICATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{7,99}$")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
# The fields of a notification, compared to tell a repeat from a reuse.
FIELDS = (
    "vaccination_code",
    "date",
    "start_time",
    "end_time",
    "invited_at",
    "centre_id",
)


class InvalidInput(Exception):
    """A request body the simulator cannot use; answered with 400."""

    def __init__(self, error, message):
        super().__init__(message)
        self.error = error
        self.message = message


@dataclass
class Settings:
    """How the simulated service behaves; changed at run time via /_sim/config."""

    latency_ms: int = 0
    error_rate: float = 0.0
    outage: bool = False
    fail_next: int = 0
    lose_next: int = 0
    seed: int = 1
    required_token: str | None = None


def normalise_code(value):
    """A code as 4 groups of 4 capitals, or None if it cannot be one."""
    if not isinstance(value, str):
        return None
    code = "".join(c for c in value.upper() if c not in " -")
    if len(code) != 16 or any(c not in CODE_ALPHABET for c in code):
        return None
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


def parse_notification(body):
    """The notification's fields, normalised; raises InvalidInput."""
    notification_id = body.get("notification_id")
    if not isinstance(notification_id, str) or not NOTIFICATION_ID.match(
        notification_id
    ):
        raise InvalidInput(
            "invalid_request", "notification_id must be 8 to 100 letters, digits, -"
        )
    code = normalise_code(body.get("vaccination_code"))
    if code is None:
        raise InvalidInput("invalid_code", "this is not a vaccination code")
    try:
        day = date.fromisoformat(body.get("date"))
    except (TypeError, ValueError):
        raise InvalidInput("invalid_request", "date must be YYYY-MM-DD") from None
    times = []
    for name in ("start_time", "end_time"):
        value = body.get(name)
        if not isinstance(value, str) or not HHMM.match(value):
            raise InvalidInput("invalid_request", f"{name} must be HH:MM")
        times.append(value)
    if times[0] >= times[1]:
        raise InvalidInput("invalid_request", "start_time must be before end_time")
    try:
        invited_at = datetime.fromisoformat(body.get("invited_at"))
    except (TypeError, ValueError):
        invited_at = None
    if invited_at is None or invited_at.tzinfo is None:
        raise InvalidInput(
            "invalid_request", "invited_at must be an ISO 8601 instant with an offset"
        )
    centre_id = body.get("centre_id")
    if not isinstance(centre_id, str) or not 1 <= len(centre_id) <= 64:
        raise InvalidInput("invalid_request", "centre_id is required")
    return {
        "notification_id": notification_id,
        "vaccination_code": code,
        "date": day.isoformat(),
        "start_time": times[0],
        "end_time": times[1],
        "invited_at": invited_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "centre_id": centre_id,
    }


def error(status, code, message, **headers):
    response = jsonify(error=code, message=message)
    response.status_code = status
    response.headers.update(headers)
    return response


class Simulation:
    """The simulator's state: settings, notifications kept, counters."""

    def __init__(self, settings):
        self.initial = settings
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.settings = Settings(**asdict(self.initial))
            self.rng = random.Random(self.settings.seed)
            self.notifications = {}  # id -> record, in arrival order
            self.stats = Counter()

    def configure(self, changes):
        fields = asdict(Settings())
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise InvalidInput("invalid_request", f"unknown settings: {unknown}")
        new = asdict(self.settings)
        try:
            for name, value in changes.items():
                new[name] = _setting(name, value)
        except (TypeError, ValueError) as exc:
            raise InvalidInput("invalid_request", str(exc)) from exc
        with self.lock:
            self.settings = Settings(**new)
            if "seed" in changes:
                self.rng = random.Random(self.settings.seed)

    def admit(self):
        """Count an API request and decide its fate: None, "outage" or "failure"."""
        with self.lock:
            settings = self.settings
            self.stats["requests"] += 1
            if settings.outage:
                failure = "outage"
            elif settings.fail_next > 0:
                settings.fail_next -= 1
                failure = "failure"
            elif settings.error_rate > 0 and self.rng.random() < settings.error_rate:
                failure = "failure"
            else:
                failure = None
            if failure:
                self.stats["failures"] += 1
        if failure != "outage" and settings.latency_ms:
            time.sleep(settings.latency_ms / 1000)
        return failure

    def receive(self, notification):
        """Keep a new notification; (record, duplicate) or raise InvalidInput."""
        with self.lock:
            kept = self.notifications.get(notification["notification_id"])
            if kept is not None:
                if any(kept[name] != notification[name] for name in FIELDS):
                    self.stats["reused_ids"] += 1
                    raise InvalidInput(
                        "notification_id_reused",
                        "this notification_id was used for another notification",
                    )
                kept["deliveries"] += 1
                self.stats["duplicates"] += 1
                return dict(kept), True
            record = dict(
                notification,
                received_at=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                deliveries=1,
            )
            self.notifications[notification["notification_id"]] = record
            self.stats["accepted"] += 1
            return dict(record), False

    def lose_answer(self):
        with self.lock:
            if self.settings.lose_next > 0:
                self.settings.lose_next -= 1
                self.stats["lost_answers"] += 1
                return True
            return False


def _setting(name, value):
    if name == "latency_ms" or name in ("fail_next", "lose_next", "seed"):
        if isinstance(value, bool) or int(value) < 0:
            raise ValueError(f"{name} must be a whole number >= 0")
        return int(value)
    if name == "error_rate":
        if isinstance(value, bool) or not 0 <= float(value) <= 1:
            raise ValueError("error_rate must be between 0 and 1")
        return float(value)
    if name == "outage":
        if not isinstance(value, bool):
            raise ValueError("outage must be true or false")
        return value
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or null")
    return value or None


def _json_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("invalid_request", "the body must be a JSON object")
    return body


def create_app(settings=None):
    """The simulator's Flask app, starting from `settings` (defaults if None)."""
    app = Flask(__name__)
    sim = Simulation(settings or Settings())
    app.extensions["booking_simulation"] = sim

    @app.errorhandler(InvalidInput)
    def invalid_input(exc):
        status = 409 if exc.error == "notification_id_reused" else 400
        return error(status, exc.error, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return error(exc.code, "http_error", exc.name)

    @app.before_request
    def simulate_conditions():
        if not request.path.startswith("/api/"):
            return None
        failure = sim.admit()
        if failure == "outage":
            return error(
                503,
                "service_unavailable",
                "the service is down",
                **{"Retry-After": "30"},
            )
        if failure:
            return error(503, "service_unavailable", "temporary failure")
        token = sim.settings.required_token
        if token and request.headers.get("Authorization") != f"Bearer {token}":
            return error(401, "unauthorized", "a valid bearer token is required")
        return None

    @app.post("/api/v1/lmb-invitations")
    def receive_invitation():
        notification = parse_notification(_json_body())

        record, duplicate = sim.receive(notification)
        if sim.lose_answer():
            return error(504, "gateway_timeout", "the answer was lost on the way")
        answer = {
            "notification_id": record["notification_id"],
            "status": "accepted",
            "received_at": record["received_at"],
            "duplicate": duplicate,
        }
        return jsonify(answer), 200 if duplicate else 201

    @app.get("/_sim/health")
    def health():
        return jsonify(status="ok", service="booking")

    @app.get("/_sim/config")
    def show_config():
        return jsonify(asdict(sim.settings))

    @app.post("/_sim/config")
    def change_config():
        sim.configure(_json_body())
        return jsonify(asdict(sim.settings))

    @app.get("/_sim/notifications")
    def notifications():
        with sim.lock:
            return jsonify(notifications=list(sim.notifications.values()))

    @app.post("/_sim/reset")
    def reset():
        sim.reset()
        return jsonify(asdict(sim.settings))

    @app.get("/_sim/stats")
    def stats():
        with sim.lock:
            return jsonify(dict(sim.stats))

    return app


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def parse_args(argv=None):
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m simulators.booking",
        description="Simulator of the regular booking system's API.",
    )
    parser.add_argument("--host", default=env.get("BOOKING_SIM_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(env.get("BOOKING_SIM_PORT", "5102"))
    )
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=int(env.get("BOOKING_SIM_LATENCY_MS", "0")),
        help="delay every API answer by this many milliseconds",
    )
    parser.add_argument(
        "--error-rate",
        type=float,
        default=float(env.get("BOOKING_SIM_ERROR_RATE", "0")),
        help="share of API requests answered 503, 0 to 1",
    )
    parser.add_argument(
        "--outage",
        action="store_true",
        default=_env_flag("BOOKING_SIM_OUTAGE"),
        help="answer every API request 503",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=int(env.get("BOOKING_SIM_SEED", "1")),
        help="seed of the RNG behind --error-rate",
    )
    parser.add_argument(
        "--token",
        default=env.get("BOOKING_SIM_TOKEN") or None,
        help="require this bearer token on API requests",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    given = {
        "latency_ms": args.latency_ms,
        "error_rate": args.error_rate,
        "outage": args.outage,
        "seed": args.seed,
        "required_token": args.token,
    }
    try:
        settings = Settings(**{name: _setting(name, v) for name, v in given.items()})
    except ValueError as exc:
        raise SystemExit(f"simulators.booking: {exc}") from exc
    serve(create_app(settings), args.host, args.port)


if __name__ == "__main__":
    main()
