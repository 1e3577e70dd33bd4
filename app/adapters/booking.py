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
from dataclasses import dataclass, field
from typing import Protocol

from app.adapters.http import JsonClient, Unreachable, timeouts

logger = logging.getLogger(__name__)

BACKOFF_FACTOR = 0.5
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


class HttpBookingSystem(JsonClient):
    """`BookingSystem` over HTTP, at `base_url`; the settings are those of
    `JsonClient`. Only POST is retried: a repeat carries the same
    notification id, so the booking system records it once."""

    def __init__(self, base_url, *, backoff_factor=BACKOFF_FACTOR, **settings):
        super().__init__(
            base_url, retry_methods={"POST"}, backoff_factor=backoff_factor, **settings
        )

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

    def _post(self, payload):
        try:
            status, body, elapsed_ms = self.post_json(PATH, payload)
        except Unreachable as exc:
            raise _failure(str(exc)) from exc
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
    connect_timeout, read_timeout = timeouts(config.get("BOOKING_API_TIMEOUT"))
    return HttpBookingSystem(
        url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        backoff_factor=BACKOFF_FACTOR,
        client_cert=config.get("BOOKING_API_CLIENT_CERT") or None,
        client_key=config.get("BOOKING_API_CLIENT_KEY") or None,
        token=config.get("BOOKING_API_TOKEN") or None,
    )


def _moment(value):
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _failure(reason, status_code=None, error=None, retryable=True):
    logger.warning("booking system: the service %s", reason)
    return BookingSystemError(
        f"booking system {reason}",
        status_code=status_code,
        error=error,
        retryable=retryable,
    )
