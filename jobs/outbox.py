"""Delivering the outbox: one job per message, and a sweeper for the rest.

`deliver(message_id)` sends one QUEUED message over SMTP or to the SMS
gateway and records the outcome (`app.services.outbox` explains the retry
schedule). It is safe to run twice and from several workers: the row is
locked (FOR UPDATE SKIP LOCKED on PostgreSQL) and a message that is SENT,
FAILED or not yet due is left alone. A refused or failed delivery is recorded
and the job ends normally; anything unexpected is counted as an attempt and
then raised, so RQ records it.

`sweep()` runs every 30 seconds (jobs/cron_config.py) and enqueues every
message that is due: those whose first enqueue found Redis down, and those
waiting for their next attempt.
"""

import logging
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app
from sqlalchemy import select

from app.adapters import mail, sms
from app.extensions import db
from app.models import MessageState, OutboxMessage, utcnow
from app.services import outbox
from jobs import job

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 1000
# Clocks of web servers and workers may differ a little.
CLOCK_SLACK = timedelta(seconds=5)


class _Refused(Exception):
    """The message cannot be sent as it is: a permanent failure."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


@job
def deliver(message_id):
    """Send outbox message `message_id` once; True if it was sent now."""
    now = utcnow()
    message = _locked(message_id)
    if message is None:
        logger.info("outbox %s: gone or being sent by another worker", message_id)
        return False
    if message.state != MessageState.QUEUED or message.next_attempt_at > (
        now + CLOCK_SLACK
    ):
        db.session.rollback()
        return False
    invitation_id = message.invitation_id
    channel = message.channel

    try:
        _send(message)
    except (mail.MailDeliveryError, sms.SmsDeliveryError, _Refused) as exc:
        permanent = getattr(exc, "permanent", True)
        error = _error_class(channel, exc)
        final = outbox.mark_failed(message, error, permanent=permanent, now=now)
        attempts = message.attempts
        db.session.commit()
        logger.warning(
            "outbox %s: %s not delivered (%s, attempt %d)%s",
            message_id,
            channel,
            error,
            attempts,
            "; giving up" if final else "",
        )
        if final:
            outbox.report_to_invitation(invitation_id)
            db.session.commit()
        return False
    except Exception as exc:
        db.session.rollback()
        _count_crash(message_id, exc)
        raise

    outbox.mark_sent(message, now)
    db.session.commit()
    logger.info("outbox %s: %s handed over", message_id, channel)
    # Committed first: a failing hook must never make us send the message again.
    outbox.report_to_invitation(invitation_id, sent_at=now)
    db.session.commit()
    return True


@job
def sweep():
    """Enqueue every message that is due; return how many jobs were enqueued."""
    due = outbox.due_messages(utcnow(), SWEEP_LIMIT)
    db.session.rollback()
    enqueued = outbox.enqueue_delivery(due_message.id for due_message in due)
    if due:
        logger.info("outbox sweep: %d due, %d enqueued", len(due), enqueued)
    return enqueued


def sms_enabled():
    """Whether the running application sends SMS (SMS_ENABLED)."""
    value = current_app.config.get("SMS_ENABLED")
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def build_email(message, now):
    """The `EmailMessage` for an e-mail outbox row; raises `_Refused`."""
    config = current_app.config
    address = (message.recipient or "").strip()
    if not _plain_address(address):
        raise _Refused("email-bad-address")
    domain = parseaddr(config["MAIL_FROM"] or "")[1].rpartition("@")[2]
    created = int(message.created_at.timestamp())
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]  # a bad setting is not the message's fault
    try:
        email["Subject"] = message.subject or ""
        email["To"] = address
    except (ValueError, TypeError) as exc:
        raise _Refused("email-bad-header") from exc
    # The same id on every attempt, so a receiver can recognise a repeat.
    email["Message-ID"] = f"<outbox-{message.id}-{created}@{domain or 'lmb.invalid'}>"
    email["Date"] = format_datetime(now)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body, charset="utf-8", cte="quoted-printable")
    # After set_content, which drops every Content-* header.
    email["Content-Language"] = message.language
    return email


def sms_reference(message):
    """The gateway's idempotency key: stable across attempts of one message."""
    return f"outbox-{message.id}-{int(message.created_at.timestamp())}"


def _locked(message_id):
    # SQLite ignores FOR UPDATE.
    # Limitation: on SQLite two workers could send one message twice if they
    # load it at the same instant; SQLite is for a single machine with one worker.
    return db.session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _send(message):
    if message.channel == outbox.EMAIL:
        sender = mail.from_config(current_app.config)
        sender.send(build_email(message, utcnow()))
    elif message.channel == outbox.SMS:
        sender = sms.from_config(current_app.config)
        if sender is None:
            raise _Refused("sms-disabled")
        sender.send(message.recipient, message.body, reference=sms_reference(message))
    else:
        raise _Refused(f"unknown-channel-{message.channel}")


def _error_class(channel, exc):
    if isinstance(exc, _Refused):
        return exc.error
    kind = "permanent" if exc.permanent else "temporary"
    code = getattr(exc, "smtp_code", None) or getattr(exc, "status_code", None)
    return f"{channel}-{kind}-{code}" if code else f"{channel}-{kind}"


def _count_crash(message_id, exc):
    """Count an unexpected error as an attempt, so it is retried with backoff."""
    try:
        message = _locked(message_id)
        if message is not None and message.state == MessageState.QUEUED:
            final = outbox.mark_failed(
                message, f"error-{type(exc).__name__}", permanent=False, now=utcnow()
            )
            invitation_id = message.invitation_id
            db.session.commit()
            if final:
                outbox.report_to_invitation(invitation_id)
                db.session.commit()
    except Exception:
        db.session.rollback()
        logger.exception("outbox %s: cannot record the failed attempt", message_id)


def _plain_address(address):
    name, addr_spec = parseaddr(address)
    return (
        not name
        and addr_spec == address
        and addr_spec.count("@") == 1
        and all(addr_spec.split("@"))
        and not any(ch.isspace() or ch in ",;<>" for ch in addr_spec)
    )
