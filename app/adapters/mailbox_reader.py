"""Reading back the messages the development SMTP sink stored.

`simulators/smtp_sink.py` writes each accepted message to
``<maildir>/new/<id>.eml``, with ids that sort by arrival time. This module
lists and opens those files for a development-only page; it never writes.

Ids are checked against the sink's exact format before any file is opened, so
an id taken from a URL cannot point outside the folder.
"""

import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

# <arrival time in ns, 20 digits>.<sequence, 6 digits>.<8 hex digits>
MESSAGE_ID = re.compile(r"[0-9]{20}\.[0-9]{6}\.[0-9a-f]{8}")
SUFFIX = ".eml"


def is_message_id(value) -> bool:
    """Whether `value` has the form of an id the sink gives."""
    return isinstance(value, str) and MESSAGE_ID.fullmatch(value) is not None


def received_at(message_id) -> datetime:
    """When the sink received the message, in UTC, as its id records."""
    if not is_message_id(message_id):
        raise ValueError("not a message id")
    nanoseconds = int(message_id.split(".", 1)[0])
    return datetime.fromtimestamp(nanoseconds / 1_000_000_000, UTC)


def list_messages(maildir, *, newest_first=False) -> list[tuple[str, EmailMessage]]:
    """Every stored message as (id, parsed message), oldest first by default.

    A missing folder holds no messages. Files that are not the sink's, or that
    disappear while listing, are skipped.
    """
    folder = Path(maildir) / "new"
    try:
        names = [entry.name for entry in folder.iterdir()]
    except FileNotFoundError:
        return []
    ids = sorted(
        (name[: -len(SUFFIX)] for name in names if name.endswith(SUFFIX)),
        reverse=newest_first,
    )
    messages = []
    for message_id in ids:
        if not is_message_id(message_id):
            continue
        message = _read(folder, message_id)
        if message is not None:
            messages.append((message_id, message))
    return messages


def get_message(maildir, message_id) -> EmailMessage | None:
    """The stored message with this id, or None if the id is malformed or unknown."""
    if not is_message_id(message_id):
        return None
    return _read(Path(maildir) / "new", message_id)


def _read(folder, message_id):
    try:
        with open(folder / (message_id + SUFFIX), "rb") as file:
            return BytesParser(policy=policy.default).parse(file)
    except FileNotFoundError:
        return None
