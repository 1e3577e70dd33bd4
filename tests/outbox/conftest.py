"""Fixtures for the outbox: a real SMTP server and apps that point at it.

The SMTP server is an aiosmtpd Controller on a free port, in a thread. It
keeps every message it accepts, refuses recipients whose local part starts
with "unknown" (550) and greylists those starting with "greylisted" (451).
"""

import logging
from email.parser import BytesParser
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from app.extensions import db
from app.queue import QUEUE_NAMES, get_queue
from simulators.testing import free_port


class Collector:
    def __init__(self):
        self.received = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local_part = address.partition("@")[0]
        if local_part.startswith("unknown"):
            return "550 5.1.1 Recipient address rejected: User unknown"
        if local_part.startswith("greylisted"):
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "raw": envelope.content,
                "message": BytesParser(policy=default_policy).parsebytes(
                    envelope.content.replace(b"\r\n", b"\n")
                ),
            }
        )
        return "250 2.0.0 Message accepted"


class SmtpServer:
    """An aiosmtpd server on `port` that can be stopped and started again."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.collector = Collector()
        self.controller = None

    @property
    def received(self):
        return self.collector.received

    def start(self):
        self.controller = Controller(
            self.collector, hostname="127.0.0.1", port=self.port
        )
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    # aiosmtpd logs envelope addresses at INFO; only our own logs are checked.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def outbox_app(app, make_app):
    """Build an app context with other settings; pushed, cleaned up after."""
    contexts = []

    def build(**overrides):
        overrides.setdefault("WTF_CSRF_ENABLED", False)
        overrides.setdefault("MAIL_TIMEOUT", 5)
        built = make_app(**overrides)
        context = built.app_context()
        context.push()
        contexts.append(context)
        return built

    yield build
    for context in reversed(contexts):
        db.session.remove()
        db.engine.dispose()
        context.pop()


@pytest.fixture
def mail_app(outbox_app, smtp):
    """An app (context pushed) whose mail goes to the `smtp` server."""
    return outbox_app(MAIL_HOST="127.0.0.1", MAIL_PORT=smtp.port)


@pytest.fixture
def empty_queues(app):
    """Drop jobs other tests left in this run's queues."""
    with app.app_context():
        for name in QUEUE_NAMES:
            get_queue(name).empty()
    yield
    with app.app_context():
        for name in QUEUE_NAMES:
            get_queue(name).empty()
