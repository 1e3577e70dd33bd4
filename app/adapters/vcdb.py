"""Client of the national vaccination code database (VCDB).

The database tells whether a person (by national number) may still join the
reserve list, and holds their vaccination code, its usage status and whether
they booked. `EligibilityService` is the interface the rest of LMB uses;
`HttpEligibilityService` speaks the HTTP contract in docs/vcdb-contract.md (the
one `simulators/vcdb.py` simulates); `from_config()` builds it from the VCDB_*
settings.

Every failure to get a usable answer (connection refused, timeout, 5xx after
the retries, a refused certificate or token, a body that is not the contract)
raises `VaccinationCodeServiceUnavailable`, so callers have one thing to catch
before they fall back to the stored status and code. An unknown person is not a
failure: it is a result with status UNKNOWN.

Lookups and marking as invited are idempotent, so connection errors, read
timeouts and 5xx answers are retried, POST included, with exponential backoff.
National numbers and codes never appear in URLs or log lines.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from stdnum.be import ssn as national_number

from app.adapters.http import DEFAULT_RETRIES, JsonClient, Unreachable, timeouts

logger = logging.getLogger(__name__)


class EligibilityStatus(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    BOOKED = "booked"
    VACCINATED = "vaccinated"
    UNKNOWN = "unknown"


class CodeStatus(StrEnum):
    """How far the vaccination code has been used."""

    ACTIVATED_NOT_USED = "activated_not_used"
    BOOKED_ALL = "booked_all"
    BOOKED_FIRST_ONLY = "booked_first_only"
    DEACTIVATED = "deactivated"


class DayPart(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


@dataclass(frozen=True)
class DosePeriod:
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Booking:
    """An appointment made with the code in the regular booking system."""

    date: dt.date
    day_part: DayPart
    time: dt.time | None = None
    centre_id: str | None = None


@dataclass(frozen=True)
class Invitation:
    """The last-minute invitation the database knows of."""

    centre_id: str
    date: dt.date


@dataclass(frozen=True)
class EligibilityResult:
    """What the database holds about one person. Instants are aware, in UTC.

    The vaccination code is left out of the repr so that logging a result
    does not log the code.
    """

    status: EligibilityStatus
    vaccination_code: str | None = field(default=None, repr=False)
    code_status: CodeStatus | None = None
    activation_date: dt.date | None = None
    vaccine_type: str | None = None
    first_dose_period: DosePeriod | None = None
    second_dose_period: DosePeriod | None = None
    first_vaccination_date: dt.date | None = None
    booked_at: dt.datetime | None = None
    booking: Booking | None = None
    invited: bool = False
    invited_at: dt.datetime | None = None
    invitation: Invitation | None = None
    selection_source: str | None = None

    @property
    def is_eligible(self):
        return self.status is EligibilityStatus.ELIGIBLE

    def booked_since(self, instant):
        """Whether the code was used to book at or after the aware `instant`."""
        return self.booked_at is not None and self.booked_at >= instant


@dataclass(frozen=True)
class BookingStatus:
    """Whether a person booked since a given instant."""

    status: EligibilityStatus
    code_status: CodeStatus | None
    booked_at: dt.datetime | None
    booked_since: bool


@dataclass(frozen=True)
class CodeLookupResult:
    """What the database says about a vaccination code (for companions)."""

    found: bool
    code_status: CodeStatus | None = None
    booked: bool = False
    booking: Booking | None = None


class VaccinationCodeServiceUnavailable(Exception):
    """No usable answer from the vaccination code database.

    `status_code` is the HTTP status of the last answer, when there was one.
    The message never contains a national number or a code.
    """

    def __init__(self, reason, *, status_code=None):
        super().__init__(reason)
        self.status_code = status_code


class EligibilityService(Protocol):
    """The vaccination code database, as LMB uses it."""

    def check_eligibility(self, ssin: str) -> EligibilityResult:
        """The person's status and code; status UNKNOWN if not in the database."""

    def booking_status(self, ssin: str, since: dt.datetime) -> BookingStatus:
        """Whether the person booked at or after `since` (an aware instant)."""

    def lookup_code(self, vaccination_code: str) -> CodeLookupResult:
        """Whether the code exists and what it is booked for."""

    def mark_invited(
        self, ssin: str, *, invited_at: dt.datetime, centre_id: str, date: dt.date
    ) -> EligibilityResult:
        """Record an invitation; return the person's record after it.

        `invited` on the result is False when the database refused because
        the person is no longer eligible; status UNKNOWN if not in the database.
        """


class HttpEligibilityService(JsonClient):
    """`EligibilityService` over HTTP, at `base_url`; the settings are those of
    `JsonClient`. Every call is idempotent, so GET and POST are retried."""

    def __init__(self, base_url, **settings):
        super().__init__(base_url, retry_methods={"GET", "POST"}, **settings)

    def check_eligibility(self, ssin):
        body = self._post("eligibility", "/api/v1/eligibility", {"ssin": _ssin(ssin)})
        if body is None:
            return EligibilityResult(status=EligibilityStatus.UNKNOWN)
        return _parsed("eligibility", _person, body)

    def booking_status(self, ssin, since):
        payload = {"ssin": _ssin(ssin), "since": _instant(since)}
        body = self._post("booking status", "/api/v1/eligibility", payload)
        if body is None:
            return BookingStatus(EligibilityStatus.UNKNOWN, None, None, False)
        person = _parsed("booking status", _person, body)
        booked_since = body.get("booked_since")
        if not isinstance(booked_since, bool):
            booked_since = person.booked_since(since)
        return BookingStatus(
            person.status, person.code_status, person.booked_at, booked_since
        )

    def lookup_code(self, vaccination_code):
        if not isinstance(vaccination_code, str) or not vaccination_code.strip():
            return CodeLookupResult(found=False)
        payload = {"vaccination_code": vaccination_code.strip()}
        body = self._post("code lookup", "/api/v1/codes/lookup", payload)
        if body is None:
            return CodeLookupResult(found=False)
        return _parsed("code lookup", _code, body)

    def mark_invited(self, ssin, *, invited_at, centre_id, date):
        payload = {
            "ssin": _ssin(ssin),
            "invited_at": _instant(invited_at),
            "centre_id": centre_id,
            "date": date.isoformat(),
        }
        body = self._post("mark invited", "/api/v1/invitations", payload)
        if body is None:
            return EligibilityResult(status=EligibilityStatus.UNKNOWN)
        return _parsed("mark invited", _person, body)

    def _post(self, operation, path, payload):
        """POST `payload`; the JSON answer, or None for "no such person/code".

        Each outcome is counted for the monitoring page (record_call).
        """
        from app.services.monitoring import record_call

        try:
            body = self._exchange(operation, path, payload)
        except VaccinationCodeServiceUnavailable:
            record_call("vcdb", False)
            raise
        record_call("vcdb", True)
        return body

    def _exchange(self, operation, path, payload):
        try:
            status, body, elapsed_ms = self.post_json(path, payload)
        except Unreachable as exc:
            raise _unavailable(operation, str(exc)) from exc
        if not isinstance(body, dict):
            raise _unavailable(operation, f"answered {status} without JSON", status)
        error = body.get("error")
        # The person's status is health data: the line carries the HTTP status
        # and the error code only.
        logger.info(
            "vcdb %s answered %d %s in %.0f ms",
            operation,
            status,
            error or "-",
            elapsed_ms,
        )

        if status == 200 or (status == 409 and error == "not_invitable"):
            return body
        if (status, error) in (
            (404, "unknown_person"),
            (404, "unknown_code"),
            (400, "invalid_code"),
        ):
            return None
        if status in (401, 403):
            raise _unavailable(operation, f"refused our credentials ({status})", status)
        if status >= 500:
            raise _unavailable(operation, f"is failing ({status})", status)
        raise _unavailable(operation, f"rejected the request ({status})", status)


def from_config(config):
    """An `HttpEligibilityService` from the VCDB_* settings in `config`.

    Keys: VCDB_URL (required), VCDB_TIMEOUT (seconds for connecting and for
    reading, or "connect,read"; default 5), VCDB_RETRIES (default 2),
    VCDB_CLIENT_CERT and VCDB_CLIENT_KEY (PEM paths), VCDB_TOKEN. Values may be
    strings, as read from the environment; empty means unset.
    """
    url = config.get("VCDB_URL")
    if not url:
        raise ValueError("VCDB_URL is not set")
    connect_timeout, read_timeout = timeouts(config.get("VCDB_TIMEOUT"))
    retries = config.get("VCDB_RETRIES")
    return HttpEligibilityService(
        url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries=DEFAULT_RETRIES if retries in (None, "") else int(retries),
        client_cert=config.get("VCDB_CLIENT_CERT") or None,
        client_key=config.get("VCDB_CLIENT_KEY") or None,
        token=config.get("VCDB_TOKEN") or None,
    )


def _ssin(value):
    if not isinstance(value, str) or not national_number.is_valid(value):
        raise ValueError("not a valid national number")
    return national_number.compact(value)


def _instant(value):
    if value.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return value.astimezone(dt.UTC).isoformat()


def _unavailable(operation, reason, status_code=None):
    logger.warning("vcdb %s failed: the service %s", operation, reason)
    return VaccinationCodeServiceUnavailable(
        f"vaccination code database {reason}", status_code=status_code
    )


# Reading answers. A missing or malformed field raises KeyError, TypeError or
# ValueError, which `_parsed` turns into VaccinationCodeServiceUnavailable.


def _parsed(operation, parse, body):
    try:
        return parse(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        reason = f"answered an unexpected body ({type(exc).__name__})"
        raise _unavailable(operation, reason) from exc


def _optional(parse, value):
    return None if value is None else parse(value)


def _date(value):
    return dt.date.fromisoformat(value)


def _moment(value):
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _period(value):
    return DosePeriod(start=_date(value["start"]), end=_date(value["end"]))


def _booking(value):
    return Booking(
        date=_date(value["date"]),
        day_part=DayPart(value["day_part"]),
        time=_optional(dt.time.fromisoformat, value.get("time")),
        centre_id=value.get("centre_id"),
    )


def _invitation(value):
    return Invitation(centre_id=str(value["centre_id"]), date=_date(value["date"]))


def _text(value):
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _person(body):
    return EligibilityResult(
        status=EligibilityStatus(body["status"]),
        vaccination_code=_optional(_text, body.get("vaccination_code")),
        code_status=_optional(CodeStatus, body.get("code_status")),
        activation_date=_optional(_date, body.get("activation_date")),
        vaccine_type=_optional(_text, body.get("vaccine_type")),
        first_dose_period=_optional(_period, body.get("first_dose_period")),
        second_dose_period=_optional(_period, body.get("second_dose_period")),
        first_vaccination_date=_optional(_date, body.get("first_vaccination_date")),
        booked_at=_optional(_moment, body.get("booked_at")),
        booking=_optional(_booking, body.get("booking")),
        invited=bool(body.get("invited", False)),
        invited_at=_optional(_moment, body.get("invited_at")),
        invitation=_optional(_invitation, body.get("invitation")),
        selection_source=_optional(_text, body.get("selection_source")),
    )


def _code(body):
    return CodeLookupResult(
        found=True,
        code_status=CodeStatus(body["code_status"]),
        booked=bool(body["booked"]),
        booking=_optional(_booking, body.get("booking")),
    )
