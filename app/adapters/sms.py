"""Sending text messages through an SMS gateway.

`SmsSender` is the interface the rest of the application uses: `send(to, text,
reference)` returns the gateway's message id or raises `SmsDeliveryError`.
`HttpSmsSender` speaks the gateway's HTTP interface (the one
`simulators/sms.py` simulates):

    POST {SMS_URL}/v1/messages
    Authorization: Bearer {SMS_TOKEN}          (only when a token is set)
    {"to": "+32470123456", "text": "...", "reference": "outbox-42"}
    -> 202 {"id": "...", ...}

Connection errors, timeouts, 429 and 5xx answers are retried with exponential
backoff; if they persist the error is temporary (`permanent=False`). A number
that is not E.164, an empty text, a refused token (401/403) and any other 4xx
answer are permanent (`permanent=True`). The gateway treats a repeated
`reference` as the same message, so a retry after a lost answer does not send
twice; pass a stable reference (the outbox row id) whenever there is one.

`from_config()` returns None when SMS_ENABLED is off: callers then send e-mail
only. Phone numbers and texts are never logged; log lines carry the reference
and the gateway's message id.
"""

import logging
import re
import time
from abc import ABC, abstractmethod

import requests

logger = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MAX_TEXT_LENGTH = 1600
_TRUE_WORDS = ("1", "true", "yes", "on")


class SmsDeliveryError(Exception):
    """The gateway did not take the message.

    `permanent` tells whether sending the same message again can ever work;
    `status_code` is the gateway's HTTP status, when there was an answer.
    """

    def __init__(self, reason, *, permanent, status_code=None):
        super().__init__(reason)
        self.permanent = permanent
        self.status_code = status_code


class SmsSender(ABC):
    """Something that sends one text message."""

    @abstractmethod
    def send(self, to: str, text: str, reference: str | None = None) -> str:
        """Send `text` to the E.164 number `to`; return the gateway's id.

        Raises `SmsDeliveryError`.
        """


class HttpSmsSender(SmsSender):
    """`SmsSender` for the HTTP gateway at `base_url`.

    `timeout` bounds each attempt (connect and read); `retries` more attempts
    follow a connection error, timeout, 429 or 5xx, after `backoff`,
    2 x `backoff`, 4 x `backoff`... seconds.
    """

    def __init__(
        self,
        base_url,
        *,
        token=None,
        timeout=5.0,
        retries=2,
        backoff=0.5,
        session=None,
    ):
        self.url = base_url.rstrip("/") + "/v1/messages"
        self.token = token or None
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.session = session or requests.Session()

    def send(self, to: str, text: str, reference: str | None = None) -> str:
        label = reference or "-"
        if not isinstance(to, str) or not E164.match(to):
            raise self._failed(label, "the number is not in E.164 form", True)
        if not isinstance(text, str) or not text.strip():
            raise self._failed(label, "the text is empty", True)
        if len(text) > MAX_TEXT_LENGTH:
            raise self._failed(
                label, f"the text is longer than {MAX_TEXT_LENGTH} characters", True
            )
        payload = {"to": to, "text": text}
        if reference:
            payload["reference"] = reference
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"

        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            error = self._attempt(payload, headers, label)
            if isinstance(error, str):
                logger.info("sms %s accepted by the gateway as %s", label, error)
                return error
            if error.permanent or attempt == attempts:
                raise self._failed(
                    label, str(error), error.permanent, error.status_code
                )
            delay = self.backoff * 2 ** (attempt - 1)
            logger.info(
                "sms %s attempt %d of %d failed (%s); retrying in %.1fs",
                label,
                attempt,
                attempts,
                error,
                delay,
            )
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, payload, headers, label):
        """One POST: the gateway's message id, or an `SmsDeliveryError`."""
        try:
            response = self.session.post(
                self.url, json=payload, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            return SmsDeliveryError("the gateway timed out", permanent=False)
        except requests.ConnectionError:
            return SmsDeliveryError("cannot reach the gateway", permanent=False)
        except requests.RequestException as exc:
            # An unusable SMS_URL and the like: configuration, so keep the message.
            return SmsDeliveryError(
                f"request failed: {type(exc).__name__}", permanent=False
            )

        status = response.status_code
        if status in (200, 201, 202):
            try:
                message_id = response.json()["id"]
            except (ValueError, KeyError, TypeError):
                return SmsDeliveryError(
                    f"the gateway answered {status} without a message id",
                    permanent=False,
                    status_code=status,
                )
            return str(message_id)
        if status in (401, 403):
            reason = "the gateway refused our token"
        elif status == 429:
            reason = "the gateway asks us to slow down"
        elif status >= 500:
            reason = "the gateway is failing"
        else:
            reason = "the gateway refused the message"
        permanent = status < 500 and status not in (408, 429)
        return SmsDeliveryError(
            f"{reason} ({status})", permanent=permanent, status_code=status
        )

    def _failed(self, label, reason, permanent, status_code=None):
        logger.warning(
            "sms %s not sent (%s): %s",
            label,
            "permanent" if permanent else "temporary",
            reason,
        )
        return SmsDeliveryError(reason, permanent=permanent, status_code=status_code)


def from_config(config):
    """An `HttpSmsSender` from the SMS_* settings, or None if SMS is off.

    Keys: SMS_ENABLED (off unless true), SMS_URL (the gateway's base URL,
    required when enabled), SMS_TOKEN (optional bearer token), SMS_TIMEOUT
    (seconds, default 5). Values may be strings, as read from the environment.
    Returning None lets callers write ``if sms is not None: sms.send(...)``.
    """
    enabled = config.get("SMS_ENABLED")
    if isinstance(enabled, str):
        enabled = enabled.strip().lower() in _TRUE_WORDS
    if not enabled:
        return None
    url = config.get("SMS_URL")
    if not url:
        raise ValueError("SMS_ENABLED is on but SMS_URL is not set")
    timeout = config.get("SMS_TIMEOUT")
    return HttpSmsSender(
        url,
        token=config.get("SMS_TOKEN"),
        timeout=float(timeout) if timeout not in (None, "") else 5.0,
    )
