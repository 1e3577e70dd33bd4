"""Client of the regular booking system's API.

When a person takes a directly offered slot (situation a), the regular
booking system must know that their vaccination code may book on that day,
at that centre. `BookingSystem` is the interface the rest of LMB uses;
`HttpBookingSystem` speaks the contract in docs/booking-contract.md (the one
`simulators/booking.py` simulates); `from_config()` builds it from the
BOOKING_API_* settings.

Each notification carries an id chosen by LMB (`notification_id`, a UUID).
The booking system keeps the first notification with a given id and answers
every repeat as a duplicate, so a notification can be sent again after any
failure, POST included, without being recorded twice. Connection errors, read
timeouts and 5xx answers are retried here with exponential backoff; whatever
still fails raises `BookingSystemError`, the one exception callers catch. Its
`retryable` tells a passing failure (try again later) from a refusal of the
notification itself (sending it again will not help).

Vaccination codes travel in the JSON body only, never in URLs or log lines.
"""

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
DEFAULT_RETRIES = 2
BACKOFF_FACTOR = 0.5
RETRY_STATUSES = (500, 502, 503, 504)
PATH = "/api/v1/lmb-invitations"


@dataclass(frozen=True)
class InvitationNotice:
    """What the booking system is told about one direct-slot invitation.

    `invited_at` is the aware instant the person was invited; `date`,
    `start_time` and `end_time` the Brussels wall-clock moment they may come;
    `centre_id` the centre's public code. The code is left out of the repr.
    """

    notification_id: str
    vaccination_code: str = field(repr=False)
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    invited_at: dt.datetime
    centre_id: str

    def to_json(self):
        if self.invited_at.tzinfo is None:
            raise ValueError("invited_at must be timezone-aware")
        return {
            "notification_id": self.notification_id,
            "vaccination_code": self.vaccination_code,
            "date": self.date.isoformat(),
            "start_time": self.start_time.strftime("%H:%M"),
            "end_time": self.end_time.strftime("%H:%M"),
            "invited_at": self.invited_at.astimezone(dt.UTC)
            .isoformat()
            .replace("+00:00", "Z"),
            "centre_id": self.centre_id,
        }


@dataclass(frozen=True)
class NotifyResult:
    """The booking system's receipt: its own id, and whether it had it already."""

    notification_id: str
    received_at: dt.datetime | None
    duplicate: bool


class BookingSystemError(Exception):
    """No receipt from the booking system.

    `retryable` is True when sending the same notification later may work
    (unreachable, timed out, 5xx, refused credentials) and False when the
    booking system rejected the notification itself (400, 409, 422).
    `status_code` is the HTTP status of the last answer, if any; `error` the
    contract's error code, if the answer had one. The message never contains
    a vaccination code.
    """

    def __init__(self, reason, *, status_code=None, error=None, retryable=True):
        super().__init__(reason)
        self.status_code = status_code
        self.error = error
        self.retryable = retryable


class BookingSystem(Protocol):
    """The regular booking system, as LMB uses it."""

    def notify_invitation(self, notice: InvitationNotice) -> NotifyResult:
        """Tell it of a direct-slot invitation; safe to call again with the
        same `notice` (same notification id)."""


class HttpBookingSystem:
    """`BookingSystem` over HTTP, at `base_url`.

    Each attempt waits at most `connect_timeout` to connect and `read_timeout`
    for the answer; `retries` more attempts follow a connection error, a read
    timeout or a 5xx, after 0, 2 x `backoff_factor`, 4 x `backoff_factor`...
    seconds. `client_cert` (and `client_key`, unless the certificate file holds
    the key) are PEM paths for mutual TLS; `token` is sent as a bearer token.
    """

    def __init__(
        self,
        base_url,
        *,
        connect_timeout=DEFAULT_TIMEOUT,
        read_timeout=DEFAULT_TIMEOUT,
        retries=DEFAULT_RETRIES,
        backoff_factor=BACKOFF_FACTOR,
        client_cert=None,
        client_key=None,
        token=None,
        session=None,
    ):
        if client_key and not client_cert:
            raise ValueError("a client key needs a client certificate")
        self.base_url = base_url.rstrip("/")
        self.timeout = (float(connect_timeout), float(read_timeout))
        self.cert = (client_cert, client_key) if client_key else client_cert or None
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        retry = Retry(
            total=int(retries),
            connect=int(retries),
            read=int(retries),
            status=int(retries),
            other=0,
            allowed_methods=frozenset({"POST"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=float(backoff_factor),
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        self.session = session or requests.Session()
        self.session.mount(self.base_url + "/", HTTPAdapter(max_retries=retry))

    def notify_invitation(self, notice):
        """Send the notice; each outcome is counted for the monitoring page
        (a refusal of the notice itself counts as the service answering)."""
        from app.services.monitoring import record_call

        try:
            result = self._notify(notice)
        except BookingSystemError as exc:
            record_call("booking", not exc.retryable)
            raise
        record_call("booking", True)
        return result

    def _notify(self, notice):
        body, status = self._post(notice.to_json())
        try:
            received = body.get("received_at")
            return NotifyResult(
                notification_id=str(body["notification_id"]),
                received_at=_moment(received) if received else None,
                duplicate=bool(body.get("duplicate", status == 200)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _failure(
                f"answered an unexpected body ({type(exc).__name__})", status
            ) from exc

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _post(self, payload):
        started = time.monotonic()
        try:
            response = self.session.post(
                self.base_url + PATH,
                json=payload,
                headers=self.headers,
                timeout=self.timeout,
                cert=self.cert,
            )
        except requests.RequestException as exc:
            reason = "timed out" if _is_timeout(exc) else "cannot be reached"
            raise _failure(f"{reason} ({type(exc).__name__})") from exc
        elapsed_ms = (time.monotonic() - started) * 1000

        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        logger.info(
            "booking system notification %s answered %d %s in %.0f ms",
            payload["notification_id"],
            status,
            error or "-",
            elapsed_ms,
        )
        if status in (200, 201) and isinstance(body, dict):
            return body, status
        if status in (200, 201):
            raise _failure(f"answered {status} without JSON", status)
        if status in (401, 403):
            raise _failure(f"refused our credentials ({status})", status, error)
        if status >= 500 or status == 429:
            raise _failure(f"is failing ({status})", status, error)
        raise _failure(
            f"rejected the notification ({status} {error or '-'})",
            status,
            error,
            retryable=False,
        )


def from_config(config):
    """An `HttpBookingSystem` from the BOOKING_API_* settings in `config`.

    Keys: BOOKING_API_URL (required), BOOKING_API_TIMEOUT (seconds for
    connecting and for reading, or "connect,read"; default 5),
    BOOKING_API_CLIENT_CERT and BOOKING_API_CLIENT_KEY (PEM paths),
    BOOKING_API_TOKEN. Values may be strings, as read from the environment;
    empty means unset.
    """
    url = config.get("BOOKING_API_URL")
    if not url:
        raise ValueError("BOOKING_API_URL is not set")
    connect_timeout, read_timeout = _timeouts(config.get("BOOKING_API_TIMEOUT"))
    return HttpBookingSystem(
        url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        backoff_factor=BACKOFF_FACTOR,
        client_cert=config.get("BOOKING_API_CLIENT_CERT") or None,
        client_key=config.get("BOOKING_API_CLIENT_KEY") or None,
        token=config.get("BOOKING_API_TOKEN") or None,
    )


def _timeouts(value):
    if value in (None, ""):
        return DEFAULT_TIMEOUT, DEFAULT_TIMEOUT
    if isinstance(value, str) and "," in value:
        connect, read = value.split(",", 1)
        return float(connect), float(read)
    return float(value), float(value)


def _moment(value):
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _is_timeout(exc):
    if isinstance(exc, requests.Timeout):
        return True
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, MaxRetryError) and isinstance(
        reason.reason, ReadTimeoutError
    )


def _failure(reason, status_code=None, error=None, retryable=True):
    logger.warning("booking system: the service %s", reason)
    return BookingSystemError(
        f"booking system {reason}",
        status_code=status_code,
        error=error,
        retryable=retryable,
    )
