"""SMS gateway simulator for development and tests.

Run it with::

    python -m simulators.sms --port 5103 [--host 127.0.0.1] [--store PATH]
        [--token TOKEN] [--latency SECONDS] [--error-rate FRACTION] [--outage]
        [--seed N]

Each flag can also come from the environment: SMS_SIM_TOKEN, SMS_SIM_LATENCY,
SMS_SIM_ERROR_RATE, SMS_SIM_OUTAGE, SMS_SIM_STORE, SMS_SIM_SEED (a flag wins).

The gateway's interface, as `app.adapters.sms.HttpSmsSender` uses it:

- ``POST /v1/messages`` with JSON ``{"to": "+32470123456", "text": "...",
  "reference": "..."}`` and, when a token is configured, ``Authorization: Bearer
  TOKEN``. Answers 202 ``{"id", "status": "accepted", "segments", "encoding",
  "duplicate"}``. A reference seen before answers with the first message's id
  and stores nothing (``"duplicate": true``), so clients can retry safely.
  400 for a bad body, 401 for a missing or wrong token, 503 during an outage
  (with Retry-After), 500 for the simulated random failures.

Controls, for tests and development (not part of a real gateway):

- ``GET /_sim/health``: ``{"status": "ok"}`` while the process runs, even
  during a simulated outage.
- ``GET /_sim/config`` and ``POST /_sim/config`` with any of ``{"latency":
  seconds, "error_rate": 0..1, "outage": bool, "token": string or null}``:
  the current behaviour plus request counters.
- ``GET /_sim/messages`` (optionally ``?reference=...``): the accepted
  messages, oldest first; ``DELETE /_sim/messages`` forgets them.

With ``--store`` the accepted messages are appended to a JSON-lines file and
read back at start, so they survive a restart. Phone numbers and texts are
never logged: the access log (`simulators.QuietRequestHandler`) shows method,
path and status only, and our own lines carry ids. SIGTERM and SIGINT stop the
server cleanly (exit status 0).
"""

import argparse
import hmac
import json
import logging
import os
import random
import re
import signal
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from simulators import QuietRequestHandler

logger = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MAX_TEXT_LENGTH = 1600
MAX_REFERENCE_LENGTH = 100

# The GSM 03.38 alphabet: texts using only these characters travel as 7-bit
# GSM (160 characters per single message); any other character forces UCS-2
# (70 characters). Characters of the extension table take two places.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€\f")


def count_segments(text):
    """(encoding, number of SMS segments) that `text` needs."""
    if all(char in GSM_BASIC or char in GSM_EXTENSION for char in text):
        length = sum(2 if char in GSM_EXTENSION else 1 for char in text)
        single, part = 160, 153
        encoding = "gsm7"
    else:
        length = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
        single, part = 70, 67
        encoding = "ucs2"
    if length <= single:
        return encoding, 1
    return encoding, -(-length // part)


class Gateway:
    """The simulated gateway's behaviour and memory; safe across threads."""

    def __init__(
        self,
        *,
        token=None,
        latency=0.0,
        error_rate=0.0,
        outage=False,
        store=None,
        seed=None,
    ):
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.settings = {}
        self.update(
            {
                "token": token,
                "latency": latency,
                "error_rate": error_rate,
                "outage": outage,
            }
        )
        self.store = Path(store) if store else None
        self.messages = []
        self._by_reference = {}
        self.counters = {"requests": 0, "accepted": 0, "duplicates": 0, "refused": 0}
        if self.store is not None:
            self._load()

    def update(self, changes):
        """Apply new settings; raise ValueError naming a bad one."""
        checked = {}
        for name, value in changes.items():
            if name == "token":
                if value is not None and not isinstance(value, str):
                    raise ValueError("token must be a string or null")
                checked[name] = value or None
            elif name == "latency":
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError("latency must be a number of seconds")
                if not 0 <= value <= 60:
                    raise ValueError("latency must be between 0 and 60 seconds")
                checked[name] = float(value)
            elif name == "error_rate":
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError("error_rate must be a number")
                if not 0 <= value <= 1:
                    raise ValueError("error_rate must be between 0 and 1")
                checked[name] = float(value)
            elif name == "outage":
                if not isinstance(value, bool):
                    raise ValueError("outage must be true or false")
                checked[name] = value
            else:
                raise ValueError(f"unknown setting {name!r}")
        with self._lock:
            self.settings.update(checked)

    def current(self):
        """A copy of the settings, taken under the lock."""
        with self._lock:
            return dict(self.settings)

    def describe(self):
        with self._lock:
            return {
                "latency": self.settings["latency"],
                "error_rate": self.settings["error_rate"],
                "outage": self.settings["outage"],
                "token_required": self.settings["token"] is not None,
                "counters": dict(self.counters),
            }

    def count(self, name):
        with self._lock:
            self.counters[name] += 1

    def fails_at_random(self):
        with self._lock:
            return self._random.random() < self.settings["error_rate"]

    def accept(self, to, text, reference):
        """Store a message; return (record, duplicate)."""
        with self._lock:
            if reference is not None and reference in self._by_reference:
                self.counters["duplicates"] += 1
                return self._by_reference[reference], True
            encoding, segments = count_segments(text)
            record = {
                "id": "sms-" + uuid.uuid4().hex,
                "to": to,
                "text": text,
                "reference": reference,
                "encoding": encoding,
                "segments": segments,
                "received_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            }
            self._remember(record)
            self.counters["accepted"] += 1
            if self.store is not None:
                with self.store.open("a", encoding="utf-8") as file:
                    file.write(json.dumps(record, ensure_ascii=False) + "\n")
            return record, False

    def list(self, reference=None):
        with self._lock:
            return [
                dict(record)
                for record in self.messages
                if reference is None or record["reference"] == reference
            ]

    def clear(self):
        with self._lock:
            self.messages = []
            self._by_reference = {}
            if self.store is not None and self.store.exists():
                self.store.write_text("", encoding="utf-8")

    def _remember(self, record):
        self.messages.append(record)
        if record["reference"] is not None:
            self._by_reference[record["reference"]] = record

    def _load(self):
        if not self.store.exists():
            self.store.parent.mkdir(parents=True, exist_ok=True)
            return
        with self.store.open(encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                if not line.strip():
                    continue
                try:
                    self._remember(json.loads(line))
                except ValueError:
                    logger.warning("skipping unreadable line %d of the store", number)
        logger.info("loaded %d messages from the store", len(self.messages))


def create_app(gateway=None):
    """The simulator as a Flask app around `gateway` (a fresh one by default)."""
    gateway = gateway or Gateway()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.config["JSON_SORT_KEYS"] = False
    app.extensions["sms_gateway"] = gateway

    def problem(status, message, **headers):
        response = jsonify({"error": message})
        response.status_code = status
        response.headers.update(headers)
        return response

    @app.post("/v1/messages")
    def send_message():
        gateway.count("requests")
        settings = gateway.current()
        if settings["latency"]:
            time.sleep(settings["latency"])
        if settings["outage"]:
            return problem(503, "service unavailable", **{"Retry-After": "30"})
        token = settings["token"]
        if token is not None:
            given = request.headers.get("Authorization", "")
            expected = f"Bearer {token}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                gateway.count("refused")
                logger.info("refused a message: missing or wrong token")
                return problem(401, "invalid token", **{"WWW-Authenticate": "Bearer"})
        if gateway.fails_at_random():
            logger.info("simulating an internal error")
            return problem(500, "internal error")

        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return problem(400, "the body must be a JSON object")
        to, text = body.get("to"), body.get("text")
        reference = body.get("reference")
        if not isinstance(to, str) or not E164.match(to):
            return problem(400, "'to' must be a number in E.164 form")
        if not isinstance(text, str) or not text.strip():
            return problem(400, "'text' must be a non-empty string")
        if len(text) > MAX_TEXT_LENGTH:
            return problem(400, f"'text' is longer than {MAX_TEXT_LENGTH} characters")
        if reference is not None and (
            not isinstance(reference, str)
            or not 0 < len(reference) <= MAX_REFERENCE_LENGTH
        ):
            return problem(400, "'reference' must be a short string")

        record, duplicate = gateway.accept(to, text, reference)
        logger.info(
            "accepted message %s (reference %s, %d segments%s)",
            record["id"],
            reference or "-",
            record["segments"],
            ", duplicate" if duplicate else "",
        )
        answer = {
            "id": record["id"],
            "status": "accepted",
            "segments": record["segments"],
            "encoding": record["encoding"],
            "duplicate": duplicate,
        }
        return jsonify(answer), 202

    @app.get("/_sim/health")
    def health():
        return jsonify({"status": "ok"})

    @app.get("/_sim/config")
    def show_config():
        return jsonify(gateway.describe())

    @app.post("/_sim/config")
    def change_config():
        changes = request.get_json(silent=True)
        if not isinstance(changes, dict):
            return problem(400, "the body must be a JSON object")
        try:
            gateway.update(changes)
        except ValueError as exc:
            return problem(400, str(exc))
        described = gateway.describe()
        logger.info(
            "configuration now latency=%.2fs error_rate=%.2f outage=%s token=%s",
            described["latency"],
            described["error_rate"],
            described["outage"],
            "required" if described["token_required"] else "none",
        )
        return jsonify(described)

    @app.get("/_sim/messages")
    def list_messages():
        reference = request.args.get("reference")
        return jsonify({"messages": gateway.list(reference)})

    @app.delete("/_sim/messages")
    def clear_messages():
        gateway.clear()
        logger.info("forgot every message")
        return "", 204

    return app


def _env_float(name, default):
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m simulators.sms", description="SMS gateway simulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5103)
    parser.add_argument(
        "--store",
        default=os.environ.get("SMS_SIM_STORE") or None,
        help="JSON-lines file keeping accepted messages across restarts",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("SMS_SIM_TOKEN") or None,
        help="require this bearer token (none: no token check)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=_env_float("SMS_SIM_LATENCY", 0.0),
        help="seconds to wait before answering a message",
    )
    parser.add_argument(
        "--error-rate",
        type=float,
        default=_env_float("SMS_SIM_ERROR_RATE", 0.0),
        help="fraction (0..1) of messages answered with a 500 error",
    )
    parser.add_argument(
        "--outage",
        action="store_true",
        default=_env_flag("SMS_SIM_OUTAGE"),
        help="start in an outage: every message is answered 503",
    )
    seed = os.environ.get("SMS_SIM_SEED")
    parser.add_argument(
        "--seed",
        type=int,
        default=int(seed) if seed else None,
        help="seed of the random failures, for repeatable runs",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        gateway = Gateway(
            token=args.token,
            latency=args.latency,
            error_rate=args.error_rate,
            outage=args.outage,
            store=args.store,
            seed=args.seed,
        )
    except ValueError as exc:
        logger.error("bad setting: %s", exc)
        return 2
    # The quiet handler's access lines leave out query strings and digit runs.
    server = make_server(
        args.host,
        args.port,
        create_app(gateway),
        threaded=True,
        request_handler=QuietRequestHandler,
    )

    def stop(signum, _frame):
        logger.info("received %s, stopping", signal.Signals(signum).name)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info(
        "SMS simulator listening on http://%s:%d", args.host, server.server_port
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
    logger.info("SMS simulator stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
