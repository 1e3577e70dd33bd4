"""Development SMTP server that keeps every message in a maildir-like folder.

Run it with::

    python -m simulators.smtp_sink --host 127.0.0.1 --port 8025 --maildir PATH

It accepts any sender and any recipient (SMTPUTF8 included, no TLS, no AUTH)
and delivers nothing onwards. Each message becomes one file,
``PATH/new/<id>.eml``: written to ``PATH/tmp`` first and renamed into ``new``,
so a reader never sees half a message. The id is
``<arrival time in ns, 20 digits>.<sequence, 6 digits>.<8 hex digits>``, so
sorting the names sorts the messages by arrival. ``Return-Path``,
``Delivered-To`` (one per envelope recipient, Bcc included) and ``Received``
headers are put in front of the message as received, like a local delivery
agent does. `app.adapters.mailbox_reader` reads the folder back.

The server runs until SIGTERM or SIGINT, then stops listening and exits with
status 0. Log lines carry message ids and sizes, never addresses or content.
"""

import argparse
import asyncio
import itertools
import logging
import os
import secrets
import signal
import socket
import time
from email.utils import formatdate
from pathlib import Path

from aiosmtpd.smtp import SMTP

logger = logging.getLogger(__name__)

_sequence = itertools.count()


def new_message_id():
    """A fresh id; ids sort in the order they were made."""
    sequence = next(_sequence) % 1_000_000
    return f"{time.time_ns():020d}.{sequence:06d}.{secrets.token_hex(4)}"


class MaildirHandler:
    """aiosmtpd handler that writes each message into `maildir`."""

    def __init__(self, maildir):
        self.maildir = Path(maildir)
        self.tmp = self.maildir / "tmp"
        self.new = self.maildir / "new"
        for folder in (self.tmp, self.new, self.maildir / "cur"):
            folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        try:
            message_id = self.store(
                envelope.mail_from, envelope.rcpt_tos, envelope.content, session
            )
        except OSError as exc:
            logger.error("cannot store a message: %s", type(exc).__name__)
            return "451 4.3.0 Cannot store the message, try again later"
        logger.info(
            "stored message %s (%d bytes, %d recipients)",
            message_id,
            len(envelope.content),
            len(envelope.rcpt_tos),
        )
        return f"250 2.0.0 Ok: queued as {message_id}"

    def store(self, mail_from, rcpt_tos, content, session=None):
        """Write one message atomically; return its id."""
        if isinstance(content, str):
            content = content.encode("utf-8")
        message_id = new_message_id()
        trace = [f"Return-Path: <{mail_from or ''}>"]
        trace += [f"Delivered-To: {recipient}" for recipient in rcpt_tos]
        peer = session.peer[0] if session and session.peer else "unknown"
        helo = session.host_name if session and session.host_name else "unknown"
        trace.append(
            f"Received: from {helo} ({peer})\n\tby lmb-smtp-sink with SMTP id "
            f"{message_id};\n\t{formatdate(localtime=True)}"
        )
        header = ("\n".join(trace) + "\n").encode("utf-8")
        body = content.replace(b"\r\n", b"\n")

        name = message_id + ".eml"
        temporary = self.tmp / name
        with open(temporary, "xb") as file:
            file.write(header + body)
            file.flush()
            os.fsync(file.fileno())
        os.rename(temporary, self.new / name)
        return message_id


async def serve(host, port, maildir):
    """Serve until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    handler = MaildirHandler(maildir)
    hostname = socket.gethostname()

    def session():
        return SMTP(
            handler,
            hostname=hostname,
            ident="LMB SMTP sink",
            enable_SMTPUTF8=True,
            loop=loop,
        )

    server = await loop.create_server(session, host=host, port=port)
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    logger.info(
        "SMTP sink listening on %s:%d, storing into %s", host, port, handler.new
    )
    await stopping.wait()
    logger.info("stopping")
    server.close()
    await server.wait_closed()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m simulators.smtp_sink",
        description="Development SMTP server storing messages in a folder.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument(
        "--maildir",
        default=os.environ.get("MAILDIR") or "instance/mail",
        help="folder to store messages in (default: $MAILDIR or instance/mail)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # aiosmtpd logs every command, addresses included, at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    try:
        asyncio.run(serve(args.host, args.port, args.maildir))
    except OSError as exc:
        logger.error("cannot start on %s:%d: %s", args.host, args.port, exc)
        return 1
    logger.info("SMTP sink stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
