"""What the clients of the external JSON services share: one requests session
with retries, timeouts, mutual TLS and a bearer token, and the reading of
their settings. Each client (vcdb.py, booking.py) keeps its own paths, its
own reading of answers and its own exception.

Retries: connection errors, read timeouts and 5xx answers are tried again
after 0, 2 x `backoff_factor`, 4 x `backoff_factor`... seconds, for the
methods the client declares safe to repeat.
"""

import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

DEFAULT_TIMEOUT = 5.0
DEFAULT_RETRIES = 2
RETRY_STATUSES = (500, 502, 503, 504)


class Unreachable(Exception):
    """No HTTP answer came: the service timed out or cannot be reached.
    The message says which, without any request data."""


class JsonClient:
    """A JSON-over-HTTP client at `base_url`.

    Each attempt waits at most `connect_timeout` to connect and `read_timeout`
    for the answer; `retries` more attempts follow a passing failure of one
    of `retry_methods`. `client_cert` (and `client_key`, unless the
    certificate file holds the key) are PEM paths for mutual TLS; `token` is
    sent as a bearer token.
    """

    def __init__(
        self,
        base_url,
        *,
        retry_methods,
        connect_timeout=DEFAULT_TIMEOUT,
        read_timeout=DEFAULT_TIMEOUT,
        retries=DEFAULT_RETRIES,
        backoff_factor=0.5,
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
            allowed_methods=frozenset(retry_methods),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=float(backoff_factor),
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        self.session = session or requests.Session()
        self.session.mount(self.base_url + "/", HTTPAdapter(max_retries=retry))

    def post_json(self, path, payload):
        """POST `payload` to `path`: (status, JSON body or None, milliseconds).
        Raises `Unreachable` when no answer came."""
        started = time.monotonic()
        try:
            response = self.session.post(
                self.base_url + path,
                json=payload,
                headers=self.headers,
                timeout=self.timeout,
                cert=self.cert,
            )
        except requests.RequestException as exc:
            reason = "timed out" if _is_timeout(exc) else "cannot be reached"
            raise Unreachable(f"{reason} ({type(exc).__name__})") from exc
        elapsed_ms = (time.monotonic() - started) * 1000
        try:
            body = response.json()
        except ValueError:
            body = None
        return response.status_code, body, elapsed_ms

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def timeouts(value):
    """A timeout setting, "5" or "2,10" (connect, read), as two seconds."""
    if value in (None, ""):
        return DEFAULT_TIMEOUT, DEFAULT_TIMEOUT
    if isinstance(value, str) and "," in value:
        connect, read = value.split(",", 1)
        return float(connect), float(read)
    return float(value), float(value)


def _is_timeout(exc):
    if isinstance(exc, requests.Timeout):
        return True
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, MaxRetryError) and isinstance(
        reason.reason, ReadTimeoutError
    )
