"""Conditions a simulated service can be put in, and the controls for them.

A simulator answers like a real service would on a bad day: slowly
(``latency_ms``), failing a share of its API requests (``error_rate``), failing
the next few (``fail_next``), or not at all (``outage``); it can also insist on
a bearer token (``required_token``). This module holds what the HTTP
simulators share to do that:

- `Settings`, the conditions every simulator has, which a simulator extends
  with its own fields;
- `Simulation`, the state behind those conditions (settings, RNG, counters)
  and `Simulation.admit()`, which decides the fate of each API request;
- `install()`, which gives a Flask app the JSON error answers, the hook that
  applies the conditions to every ``/api/`` request, and the control routes
  ``/_sim/health``, ``/_sim/config``, ``/_sim/reset`` and ``/_sim/stats``;
- `add_arguments()` and `settings_from()`, the command-line options that set
  the starting conditions, each also read from the environment.

The service's own endpoints, state and extra settings stay in its module
(`simulators.vcdb`, `simulators.booking`).
"""

import os
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass

from flask import jsonify, request
from werkzeug.exceptions import HTTPException


class InvalidInput(Exception):
    """A request body the simulator cannot use.

    It is answered with `status` (400 unless given) and a JSON body carrying
    `error` and `message`.
    """

    def __init__(self, error, message, status=400):
        super().__init__(message)
        self.error = error
        self.message = message
        self.status = status


@dataclass
class Settings:
    """How the simulated service behaves; changed at run time via /_sim/config.

    A simulator with settings of its own subclasses this dataclass.
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    outage: bool = False
    fail_next: int = 0
    seed: int = 1
    required_token: str | None = None


def error(status, code, message, **headers):
    """A JSON error answer: ``{"error": code, "message": message}``."""
    response = jsonify(error=code, message=message)
    response.status_code = status
    response.headers.update(headers)
    return response


def json_body():
    """The request's JSON object; raises InvalidInput if the body is not one."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("invalid_request", "the body must be a JSON object")
    return body


def whole_number(name, value):
    """`value` as an int >= 0; raises ValueError (or TypeError) otherwise."""
    if isinstance(value, bool) or int(value) < 0:
        raise ValueError(f"{name} must be a whole number >= 0")
    return int(value)


def check_setting(name, value):
    """`value` checked and normalised for the common setting `name`.

    Raises ValueError (or TypeError) on a bad value. A name that is not one of
    the numbers or flags is taken to be an optional string, such as
    ``required_token``: an empty one becomes None.
    """
    if name in ("latency_ms", "fail_next", "seed"):
        return whole_number(name, value)
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


class Simulation:
    """A simulator's state: its settings, the RNG behind failures, counters.

    A simulator subclasses it to keep its own state, which it drops in
    `clear()`. Subclasses with extra settings set `settings_class` to their
    `Settings` subclass and `check_setting` to a function that checks those
    extra fields too. With `count_per_endpoint`, `admit()` also counts the
    requests of each endpoint (as ``requests.<endpoint>``).
    """

    settings_class = Settings
    check_setting = staticmethod(check_setting)
    count_per_endpoint = False

    def __init__(self, settings):
        self.initial = settings
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        """Go back to the starting settings and counters, with nothing stored."""
        with self.lock:
            self.settings = self.settings_class(**asdict(self.initial))
            self.rng = random.Random(self.settings.seed)
            self.stats = Counter()
            self.clear()

    def clear(self):
        """Drop what the service has stored; called with the lock held."""

    def configure(self, changes):
        """Apply a /_sim/config body; raise InvalidInput on a bad value.

        A new seed restarts the RNG; the other settings take effect from the
        next request.
        """
        fields = asdict(self.settings_class())
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise InvalidInput("invalid_request", f"unknown settings: {unknown}")
        new = asdict(self.settings)
        try:
            for name, value in changes.items():
                new[name] = self.check_setting(name, value)
        except (TypeError, ValueError) as exc:
            raise InvalidInput("invalid_request", str(exc)) from exc
        with self.lock:
            self.settings = self.settings_class(**new)
            if "seed" in changes:
                self.rng = random.Random(self.settings.seed)

    def admit(self, endpoint):
        """Count an API request and decide its fate: None, "outage" or "failure".

        An outage wins over `fail_next`, which wins over `error_rate`. Every
        answer but an outage's is delayed by `latency_ms`.
        """
        with self.lock:
            settings = self.settings
            self.stats["requests"] += 1
            if self.count_per_endpoint:
                self.stats[f"requests.{endpoint}"] += 1
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


def install(app, sim, service, outage_headers=None):
    """Give `app` the simulated conditions of `sim` and the control routes.

    That is: JSON answers for InvalidInput and HTTP errors; a hook that runs
    `sim.admit()` before every ``/api/`` request, answering 503 on an outage
    (with `outage_headers`) or a failure, and 401 without the required bearer
    token; and the routes ``GET /_sim/health`` (naming `service`), ``GET`` and
    ``POST /_sim/config``, ``POST /_sim/reset`` and ``GET /_sim/stats``.
    """
    outage_headers = outage_headers or {}

    @app.errorhandler(InvalidInput)
    def invalid_input(exc):
        return error(exc.status, exc.error, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return error(exc.code, "http_error", exc.name)

    @app.before_request
    def simulate_conditions():
        if not request.path.startswith("/api/"):
            return None
        failure = sim.admit(request.endpoint or "unknown")
        if failure == "outage":
            return error(
                503, "service_unavailable", "the service is down", **outage_headers
            )
        if failure:
            return error(503, "service_unavailable", "temporary failure")
        token = sim.settings.required_token
        if token and request.headers.get("Authorization") != f"Bearer {token}":
            return error(401, "unauthorized", "a valid bearer token is required")
        return None

    @app.get("/_sim/health")
    def health():
        return jsonify(status="ok", service=service)

    @app.get("/_sim/config")
    def show_config():
        return jsonify(asdict(sim.settings))

    @app.post("/_sim/config")
    def change_config():
        sim.configure(json_body())
        return jsonify(asdict(sim.settings))

    @app.post("/_sim/reset")
    def reset():
        sim.reset()
        return jsonify(asdict(sim.settings))

    @app.get("/_sim/stats")
    def stats():
        with sim.lock:
            return jsonify(dict(sim.stats))


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def add_arguments(parser, prefix, port):
    """Add the options that set the starting conditions to `parser`.

    They are --host, --port (default `port`), --latency-ms, --error-rate,
    --outage, --seed and --token; each defaults to the environment variable
    named `prefix` + ``_`` + the option in capitals (``VCDB_SIM_PORT`` for the
    prefix ``VCDB_SIM``).
    """
    env = os.environ
    parser.add_argument("--host", default=env.get(f"{prefix}_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(env.get(f"{prefix}_PORT", str(port)))
    )
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=int(env.get(f"{prefix}_LATENCY_MS", "0")),
        help="delay every API answer by this many milliseconds",
    )
    parser.add_argument(
        "--error-rate",
        type=float,
        default=float(env.get(f"{prefix}_ERROR_RATE", "0")),
        help="share of API requests answered 503, 0 to 1",
    )
    parser.add_argument(
        "--outage",
        action="store_true",
        default=_env_flag(f"{prefix}_OUTAGE"),
        help="answer every API request 503",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=int(env.get(f"{prefix}_SEED", "1")),
        help="seed of the RNG behind --error-rate",
    )
    parser.add_argument(
        "--token",
        default=env.get(f"{prefix}_TOKEN") or None,
        help="require this bearer token on API requests",
    )


def settings_from(args, settings_class, check, program, **extra):
    """The starting settings from the parsed options of `add_arguments()`.

    `extra` holds the values of the simulator's own settings. Every value goes
    through `check`; a bad one ends the program with a message naming
    `program`.
    """
    given = {
        "latency_ms": args.latency_ms,
        "error_rate": args.error_rate,
        "outage": args.outage,
        "seed": args.seed,
        "required_token": args.token,
        **extra,
    }
    try:
        return settings_class(**{name: check(name, v) for name, v in given.items()})
    except ValueError as exc:
        raise SystemExit(f"{program}: {exc}") from exc
