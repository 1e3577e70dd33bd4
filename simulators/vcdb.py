"""Simulator of the national vaccination code database (VCDB).

Run it with ``python -m simulators.vcdb --host 127.0.0.1 --port 5101``. It
speaks the contract in docs/vcdb-contract.md, which `app.adapters.vcdb` is the
client of, and behaves like a real service: it can be slow, fail a share of
requests, be down, and people's states change (through the control endpoints
under ``/_sim``, the way the regular booking system would change them).

Every answer is deterministic. A person's state follows from the serial of
their national number (digits 7 to 9 of YYMMDDSSSCC):

    000-799  eligible       code activated_not_used
    800-849  not_eligible   code deactivated
    850-879  booked         code booked_all
    880-899  booked         code booked_first_only
    900-949  vaccinated     code booked_all
    950-999  unknown        404 unknown_person

Dates are counted from "today" (the real UTC date, or the one set with
``--today`` or ``POST /_sim/config``), so they stay meaningful. The random
failures come from an RNG seeded with ``--seed``, so they repeat run after run.

The service's endpoints (all POST with a JSON body): /api/v1/eligibility,
/api/v1/codes/lookup and /api/v1/invitations. The controls, which a real
service does not have: GET /_sim/health, GET and POST /_sim/config, POST
/_sim/person, POST /_sim/reset and GET /_sim/stats. Bodies, answers and error
codes are in docs/vcdb-contract.md; the simulated conditions and the common
controls come from `simulators.conditions`.

National numbers travel in JSON bodies only, never in paths, and the access log
shows method, path and status; see `simulators.QuietRequestHandler`.
"""

import argparse
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import Flask, jsonify

from simulators import conditions, serve
from simulators.conditions import InvalidInput, error, json_body

ELIGIBLE = "eligible"
NOT_ELIGIBLE = "not_eligible"
BOOKED = "booked"
VACCINATED = "vaccinated"
UNKNOWN = "unknown"
STATUSES = (ELIGIBLE, NOT_ELIGIBLE, BOOKED, VACCINATED)

ACTIVATED_NOT_USED = "activated_not_used"
BOOKED_ALL = "booked_all"
BOOKED_FIRST_ONLY = "booked_first_only"
DEACTIVATED = "deactivated"
CODE_STATUSES = (ACTIVATED_NOT_USED, BOOKED_ALL, BOOKED_FIRST_ONLY, DEACTIVATED)

# The code status a person gets when only their status is set, and back.
CODE_STATUS_FOR = {
    ELIGIBLE: ACTIVATED_NOT_USED,
    NOT_ELIGIBLE: DEACTIVATED,
    BOOKED: BOOKED_ALL,
    VACCINATED: BOOKED_ALL,
}
STATUS_FOR = {
    ACTIVATED_NOT_USED: ELIGIBLE,
    DEACTIVATED: NOT_ELIGIBLE,
    BOOKED_ALL: BOOKED,
    BOOKED_FIRST_ONLY: BOOKED,
}

# (vaccine type, days between the first and the second dose); picked by serial % 4.
VACCINES = (("comirnaty", 21), ("spikevax", 28), ("vaxzevria", 84), ("jcovden", None))
# Who selected the person; picked by serial % 3.
SOURCES = ("national_register", "general_practitioner", "occupational_health")
# (day part, hour of the first appointment in it); picked by serial % 3.
DAY_PARTS = (("morning", 9), ("afternoon", 14), ("evening", 18))
# Centres of the bookings; picked by serial % 5 (ids from the centre list).
CENTRES = (
    "bxl-heysel",
    "wal-namur-expo",
    "vl-gent-flanders-expo",
    "vl-leuven-brabanthal",
    "dg-eupen",
)
FIRST_DOSE_DAYS = 90

# 32 symbols: no 0, 1, I or O, which are easy to misread on a letter.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_SALT = b"lmb-vcdb-simulator:"

# People whose codes are known from start-up (see docs/vcdb-contract.md).
EXAMPLE_SSINS = (
    "65042012388",  # eligible
    "65042081278",  # not eligible
    "65042086228",  # booked (booked_all)
    "65042088406",  # booked (booked_first_only)
    "65042091374",  # vaccinated
)


@dataclass
class Settings(conditions.Settings):
    """The common settings, and `today`: the date derived dates count from.

    None means the real UTC date.
    """

    today: str | None = None


def _setting(name, value):
    """`value` checked and normalised for the setting `name`; see Settings."""
    if name == "today":
        return None if value is None else date.fromisoformat(value).isoformat()
    return conditions.check_setting(name, value)


# National numbers and codes.


def normalise_ssin(value):
    """The 11 digits of a national number, or None if it is not a valid one."""
    if not isinstance(value, str):
        return None
    digits = "".join(c for c in value if c not in " .-")
    if len(digits) != 11 or not digits.isdigit():
        return None
    base, check = int(digits[:9]), int(digits[9:])
    # Born before 2000: 97 - base % 97; born 2000 or later: a 2 goes before.
    if check in (97 - base % 97, 97 - (2_000_000_000 + base) % 97):
        return digits
    return None


def serial_of(ssin):
    return int(ssin[6:9])


def vaccination_code(ssin):
    """The person's code: 16 symbols of sha256(salt + ssin), in groups of 4."""
    number = int.from_bytes(hashlib.sha256(CODE_SALT + ssin.encode()).digest()[:10])
    symbols = []
    for _ in range(16):
        number, index = divmod(number, 32)
        symbols.append(CODE_ALPHABET[index])
    code = "".join(symbols)
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


def normalise_code(value):
    """A code as 4 groups of 4 capitals, or None if it cannot be one."""
    if not isinstance(value, str):
        return None
    code = "".join(c for c in value.upper() if c not in " -")
    if len(code) != 16 or any(c not in CODE_ALPHABET for c in code):
        return None
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


# Deterministic people.


def _instant(day, hour=10):
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def iso_instant(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def derived_booking(serial, today):
    day_part, hour = DAY_PARTS[serial % 3]
    return {
        "date": (today + timedelta(days=1 + serial % 5)).isoformat(),
        "day_part": day_part,
        "time": f"{hour:02d}:{15 * (serial % 4):02d}",
        "centre_id": CENTRES[serial % 5],
    }


def eligible_person(ssin, today):
    """An eligible person's record; fields vary with the serial."""
    serial = serial_of(ssin)
    vaccine, gap = VACCINES[serial % 4]
    activation = today - timedelta(days=7 + serial % 21)
    first_end = activation + timedelta(days=FIRST_DOSE_DAYS)
    record = {
        "status": ELIGIBLE,
        "vaccination_code": vaccination_code(ssin),
        "code_status": ACTIVATED_NOT_USED,
        "activation_date": activation.isoformat(),
        "vaccine_type": vaccine,
        "first_dose_period": {
            "start": activation.isoformat(),
            "end": first_end.isoformat(),
        },
        "second_dose_period": None,
        "first_vaccination_date": None,
        "booked_at": None,
        "booking": None,
        "invited": False,
        "invited_at": None,
        "invitation": None,
        "selection_source": SOURCES[serial % 3],
    }
    if gap is not None:
        record["second_dose_period"] = {
            "start": (activation + timedelta(days=gap)).isoformat(),
            "end": (first_end + timedelta(days=gap)).isoformat(),
        }
    return record


def derived_person(ssin, today):
    """The state a person starts in, following the serial ranges; None if unknown."""
    serial = serial_of(ssin)
    if serial >= 950:
        return None
    record = eligible_person(ssin, today)
    if 800 <= serial < 850:
        record.update(status=NOT_ELIGIBLE, code_status=DEACTIVATED)
    elif 850 <= serial < 900:
        record.update(
            status=BOOKED,
            code_status=BOOKED_ALL if serial < 880 else BOOKED_FIRST_ONLY,
            booked_at=iso_instant(_instant(today - timedelta(days=2))),
            booking=derived_booking(serial, today),
        )
    elif 900 <= serial < 950:
        vaccinated_on = today - timedelta(days=14 + serial % 30)
        record.update(
            status=VACCINATED,
            code_status=BOOKED_ALL,
            first_vaccination_date=vaccinated_on.isoformat(),
            booked_at=iso_instant(_instant(vaccinated_on - timedelta(days=7))),
        )
    return record


# Parsing request values.


def _date(value, name):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            "invalid_request", f"{name} must be a YYYY-MM-DD date"
        ) from None


def _moment(value, name):
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(
            "invalid_request", f"{name} must be an ISO 8601 instant with an offset"
        )
    return moment


def _booking(value):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("invalid_request", "booking must be an object or null")
    day_parts = [part for part, _ in DAY_PARTS]
    if value.get("day_part") not in day_parts:
        raise InvalidInput("invalid_request", "booking.day_part is not known")
    booking_time = value.get("time")
    if booking_time is not None and (
        not isinstance(booking_time, str) or len(booking_time) != 5
    ):
        raise InvalidInput("invalid_request", "booking.time must be HH:MM or null")
    return {
        "date": _date(value.get("date"), "booking.date").isoformat(),
        "day_part": value["day_part"],
        "time": booking_time,
        "centre_id": value.get("centre_id"),
    }


def _invitation(value):
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("centre_id"), str):
        raise InvalidInput("invalid_request", "invitation needs centre_id and date")
    return {
        "centre_id": value["centre_id"],
        "date": _date(value.get("date"), "invitation.date").isoformat(),
    }


def _ssin_from(body):
    ssin = normalise_ssin(body.get("ssin"))
    if ssin is None:
        raise InvalidInput("invalid_ssin", "ssin is not a valid national number")
    return ssin


# The simulated service.


class Simulation(conditions.Simulation):
    """The simulator's state: settings, changed people, known codes, counts.

    People nobody changed are derived from their national number on every
    request; a person that was invited or changed through /_sim/person is kept
    in `people` (None there means the person was removed). API requests are
    also counted per endpoint.
    """

    settings_class = Settings
    check_setting = staticmethod(_setting)
    count_per_endpoint = True

    def reset(self):
        """Back to the starting settings, with only the example people's codes known."""
        super().reset()
        for ssin in EXAMPLE_SSINS:
            self.person(ssin)

    def clear(self):
        self.people = {}
        self.codes = {}

    def today(self):
        if self.settings.today:
            return date.fromisoformat(self.settings.today)
        return datetime.now(UTC).date()

    def person(self, ssin):
        """The person's current record (a dict), or None if unknown."""
        with self.lock:
            if ssin in self.people:
                return self.people[ssin]
            record = derived_person(ssin, self.today())
            if record is not None:
                self.codes[record["vaccination_code"]] = ssin
            return record

    def store(self, ssin, record):
        with self.lock:
            self.people[ssin] = record
            if record is not None:
                self.codes[record["vaccination_code"]] = ssin

    def person_by_code(self, code):
        with self.lock:
            ssin = self.codes.get(code)
        return None if ssin is None else self.person(ssin)


def changed_person(record, changes, today, serial):
    """`record` with the /_sim/person `changes` applied, consistently.

    Setting only a status gives the matching code status (and the other way
    round); becoming booked sets booked_at to now and a booking, unless given;
    becoming eligible or not eligible drops the booking.
    """
    allowed = {
        "status",
        "code_status",
        "booked_at",
        "booking",
        "first_vaccination_date",
        "invited_at",
        "invitation",
    }
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput("invalid_request", f"unknown fields: {unknown}")
    record = dict(record)
    status = changes.get("status", STATUS_FOR.get(changes.get("code_status")))
    if status is not None and status not in STATUSES:
        raise InvalidInput("invalid_request", f"status must be one of {STATUSES}")
    code_status = changes.get("code_status", CODE_STATUS_FOR.get(status))
    if code_status is not None and code_status not in CODE_STATUSES:
        raise InvalidInput(
            "invalid_request", f"code_status must be one of {CODE_STATUSES}"
        )
    if status is not None:
        record.update(status=status, code_status=code_status)
        if status in (ELIGIBLE, NOT_ELIGIBLE):
            record.update(booked_at=None, booking=None, first_vaccination_date=None)
        elif status == BOOKED:
            if record["booked_at"] is None:
                record["booked_at"] = iso_instant(
                    datetime.now(UTC).replace(microsecond=0)
                )
            if record["booking"] is None:
                record["booking"] = derived_booking(serial, today)
        elif status == VACCINATED:
            record["booking"] = None
            if record["first_vaccination_date"] is None:
                record["first_vaccination_date"] = today.isoformat()

    if "booked_at" in changes:
        value = changes["booked_at"]
        record["booked_at"] = (
            None if value is None else iso_instant(_moment(value, "booked_at"))
        )
    if "booking" in changes:
        record["booking"] = _booking(changes["booking"])
    if "first_vaccination_date" in changes:
        value = changes["first_vaccination_date"]
        record["first_vaccination_date"] = (
            None
            if value is None
            else _date(value, "first_vaccination_date").isoformat()
        )
    if "invited_at" in changes:
        value = changes["invited_at"]
        record["invited_at"] = (
            None if value is None else iso_instant(_moment(value, "invited_at"))
        )
        record["invited"] = value is not None
    if "invitation" in changes:
        record["invitation"] = _invitation(changes["invitation"])
    return record


def create_app(settings=None):
    """The simulator's Flask app, starting from `settings` (defaults if None)."""
    app = Flask(__name__)
    sim = Simulation(settings or Settings())
    app.extensions["vcdb_simulation"] = sim
    conditions.install(app, sim, "vcdb")

    @app.post("/api/v1/eligibility")
    def eligibility():
        body = json_body()
        ssin = _ssin_from(body)
        since = body.get("since")
        since = None if since is None else _moment(since, "since")

        record = sim.person(ssin)
        if record is None:
            return error(404, "unknown_person", "no person with this national number")

        answer = dict(record)
        if since is not None:
            booked_at = record["booked_at"]
            answer["booked_since"] = booked_at is not None and (
                datetime.fromisoformat(booked_at) >= since
            )
        return jsonify(answer)

    @app.post("/api/v1/codes/lookup")
    def lookup_code():
        code = normalise_code(json_body().get("vaccination_code"))
        if code is None:
            return error(400, "invalid_code", "this is not a vaccination code")

        record = sim.person_by_code(code)
        if record is None:
            return error(404, "unknown_code", "no such vaccination code")
        return jsonify(
            vaccination_code=code,
            code_status=record["code_status"],
            booked=record["booking"] is not None,
            booking=record["booking"],
        )

    @app.post("/api/v1/invitations")
    def mark_invited():
        body = json_body()
        ssin = _ssin_from(body)
        invited_at = _moment(body.get("invited_at"), "invited_at")
        day = _date(body.get("date"), "date")
        centre_id = body.get("centre_id")
        if not isinstance(centre_id, str) or not centre_id:
            raise InvalidInput("invalid_request", "centre_id is required")

        record = sim.person(ssin)
        if record is None:
            return error(404, "unknown_person", "no person with this national number")
        if record["status"] != ELIGIBLE:
            answer = dict(record, error="not_invitable")
            answer["message"] = "only an eligible person can be invited"
            return jsonify(answer), 409

        record = dict(
            record,
            invited=True,
            invited_at=iso_instant(invited_at),
            invitation={"centre_id": centre_id, "date": day.isoformat()},
        )
        sim.store(ssin, record)
        return jsonify(record)

    @app.post("/_sim/person")
    def change_person():
        body = dict(json_body())
        ssin = _ssin_from(body)
        del body["ssin"]
        if body.get("status") == UNKNOWN:
            sim.store(ssin, None)
            return jsonify(status=UNKNOWN)

        today = sim.today()
        # Someone from the unknown range, or removed, becomes known.
        record = sim.person(ssin) or eligible_person(ssin, today)
        record = changed_person(record, body, today, serial_of(ssin))
        sim.store(ssin, record)
        return jsonify(record)

    return app


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m simulators.vcdb",
        description="Simulator of the vaccination code database.",
    )
    conditions.add_arguments(parser, "VCDB_SIM", 5101)
    parser.add_argument(
        "--today",
        default=os.environ.get("VCDB_SIM_TODAY") or None,
        help="date (YYYY-MM-DD) that derived dates count from; default: real date",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = conditions.settings_from(
        args, Settings, _setting, "simulators.vcdb", today=args.today
    )
    serve(create_app(settings), args.host, args.port)


if __name__ == "__main__":
    main()
