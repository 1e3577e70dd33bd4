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

The simulated conditions and the common controls come from
`simulators.conditions`.

Vaccination codes travel in JSON bodies only; the access log shows method,
path and status (`simulators.QuietRequestHandler`).
"""

import argparse
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import Flask, jsonify

from simulators import conditions, serve
from simulators.conditions import InvalidInput, error, json_body

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


@dataclass
class Settings(conditions.Settings):
    """The common settings, and `lose_next`: how many of the next answers to lose.

    A lost answer's notification is kept, but the client hears 504.
    """

    lose_next: int = 0


def _setting(name, value):
    """`value` checked and normalised for the setting `name`; see Settings."""
    if name == "lose_next":
        return conditions.whole_number(name, value)
    return conditions.check_setting(name, value)


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


class Simulation(conditions.Simulation):
    """The simulator's state: settings, notifications kept, counters."""

    settings_class = Settings
    check_setting = staticmethod(_setting)

    def clear(self):
        self.notifications = {}  # id -> record, in arrival order

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
                        status=409,
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


def create_app(settings=None):
    """The simulator's Flask app, starting from `settings` (defaults if None)."""
    app = Flask(__name__)
    sim = Simulation(settings or Settings())
    app.extensions["booking_simulation"] = sim
    conditions.install(app, sim, "booking", outage_headers={"Retry-After": "30"})

    @app.post("/api/v1/lmb-invitations")
    def receive_invitation():
        notification = parse_notification(json_body())

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

    @app.get("/_sim/notifications")
    def notifications():
        with sim.lock:
            return jsonify(notifications=list(sim.notifications.values()))

    return app


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m simulators.booking",
        description="Simulator of the regular booking system's API.",
    )
    conditions.add_arguments(parser, "BOOKING_SIM", 5102)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = conditions.settings_from(args, Settings, _setting, "simulators.booking")
    serve(create_app(settings), args.host, args.port)


if __name__ == "__main__":
    main()
