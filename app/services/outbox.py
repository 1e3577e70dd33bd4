"""The outbox: every message to a person, written with the change that causes it.

Writing a message
-----------------
`queue_email()` and `queue_sms()` render the message at once, in the
recipient's language, add an `OutboxMessage` to `db.session` and return it.
They never commit: the caller commits the message together with the change
that causes it, so either both exist or neither does::

    entry = ...                                   # the change
    outbox.queue_email(
        to=person.email, language=entry.language, purpose="confirmation",
        template="confirmation", context={"person": person},
        subject=_l("You are on the reserve list"), entry_id=entry.id,
    )
    db.session.commit()                           # both, or neither

After every commit of `db.session` (in a request or in a job) a listener
enqueues `jobs.outbox.deliver` for each message the transaction created: on
the "high" queue for invitations, on "default" otherwise. Nothing else is
needed. If Redis is down the listener logs a warning and carries on; the
sweeper (`jobs.outbox.sweep`, every 30 seconds) enqueues every message that
is due, so nothing is lost. `enqueue_delivery(ids)` does the same by hand.

Templates
---------
Jinja text templates in `app/templates/emails/` (no HTML, no autoescaping),
rendered inside `force_locale(language)`, so `_()`, `ngettext()` and
`{% trans %}` (trimmed, as babel.cfg extracts them) speak the recipient's
language:

- `<template>.txt`: the e-mail body; it extends `emails/_layout.txt`, which
  adds the greeting and the footer naming the service;
- `<template>.sms.txt`: the SMS text; it extends `emails/_layout.sms.txt`.
  Keep it under `SMS_MAX_LENGTH` characters.

Every template sees the caller's `context`, `language`, and the filters
`format_date`, `format_time` and `format_datetime` (Flask-Babel's, in the
recipient's language and Brussels time). Undefined variables are errors. The
e-mail subject is the `subject` argument, a lazy string such as
``lazy_gettext("Your invitation for %(day)s", day=day_text)``, turned into
text in the recipient's language and put on one line.

Delivery
--------
`jobs.outbox.deliver` sends one message and records the outcome with
`mark_sent()` or `mark_failed()`. A temporary failure is tried again after
`RETRY_DELAYS` (1, 2, 5, 10 and 30 minutes, then 1, 2, 4, 8 and 8 hours:
about 24 hours in 11 attempts); then, or at once for a permanent refusal, the
message is FAILED. `last_error` holds a short error class such as
``email-temporary-451``, never an address.
"""

import importlib
import logging
import re
from collections import namedtuple
from datetime import timedelta
from pathlib import Path

import jinja2
from flask_babel import (
    force_locale,
    format_date,
    format_datetime,
    format_time,
    gettext,
    ngettext,
)
from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import event, select

from app.extensions import db
from app.formats import format_day, slot_lines
from app.models import MessageState, OutboxMessage, utcnow
from app.queue import get_queue, job_id

logger = logging.getLogger(__name__)

EMAIL = "email"
SMS = "sms"
LANGUAGES = ("nl", "fr", "de")
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
SMS_MAX_LENGTH = 320

RETRY_DELAYS = tuple(
    timedelta(minutes=minutes) for minutes in (1, 2, 5, 10, 30, 60, 120, 240, 480, 480)
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

DELIVER_JOB = "jobs.outbox.deliver"
DELIVER_TIMEOUT = 60  # seconds; the SMTP and SMS timeouts fit well inside
FAILED_JOB_TTL = 7 * 24 * 3600
_WAITING = (
    JobStatus.QUEUED,
    JobStatus.STARTED,
    JobStatus.SCHEDULED,
    JobStatus.DEFERRED,
)
_PENDING = "outbox_pending"  # key in Session.info: {message id: queue name}

Due = namedtuple("Due", "id invitation_id")


# Writing ---------------------------------------------------------------------


def queue_email(
    *,
    to,
    language,
    purpose,
    template,
    context,
    subject,
    entry_id=None,
    invitation_id=None,
):
    """Render `emails/<template>.txt` and the lazy `subject` in `language` and
    add the e-mail to the session (uncommitted); return the `OutboxMessage`."""
    language = _checked_language(language)
    if not isinstance(to, str) or not to.strip():
        raise ValueError("an e-mail needs a recipient address")
    with force_locale(language):
        subject = " ".join(str(subject).split())
        body = _tidy(_render(f"{template}.txt", language, context))
    return _add(
        channel=EMAIL,
        to=to.strip(),
        language=language,
        purpose=purpose,
        subject=subject,
        body=body,
        entry_id=entry_id,
        invitation_id=invitation_id,
    )


NO_BREAK_SPACE = "\u00a0"


def queue_sms(
    *,
    to,
    language,
    purpose,
    template,
    context,
    entry_id=None,
    invitation_id=None,
):
    """Render `emails/<template>.sms.txt` in `language` and add the SMS to the
    session (uncommitted); return the `OutboxMessage`, or None when SMS is
    switched off (SMS_ENABLED)."""
    language = _checked_language(language)
    if not sms_enabled():
        return None
    if not isinstance(to, str) or not to.strip():
        raise ValueError("an SMS needs a mobile number")
    with force_locale(language):
        text = _tidy(_render(f"{template}.sms.txt", language, context)).strip()
    # French puts a no-break space before ":" and "?"; it is not in the GSM
    # alphabet and would make the SMS take twice as many segments.
    text = text.replace(NO_BREAK_SPACE, " ")
    if len(text) > SMS_MAX_LENGTH:
        # Longer texts cost more segments but still arrive: keep the message.
        logger.warning(
            "sms template %s is %d characters long in %s (aim for %d at most)",
            template,
            len(text),
            language,
            SMS_MAX_LENGTH,
        )
    return _add(
        channel=SMS,
        to=to.strip(),
        language=language,
        purpose=purpose,
        subject=None,
        body=text,
        entry_id=entry_id,
        invitation_id=invitation_id,
    )


def sms_enabled():
    """Whether the running application sends SMS (the SMS_ENABLED setting)."""
    # Settings live in the Flask app, which services never import; the job
    # module that reads them for delivery answers for both.
    return importlib.import_module("jobs.outbox").sms_enabled()


def cancel_queued(*, invitation_id, reason="cancelled"):
    """Stop sending the queued messages of an invitation (it expired, say).

    Marks them FAILED without telling the invitation; does not commit.
    Returns how many were stopped.
    """
    messages = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.invitation_id == invitation_id,
            OutboxMessage.state == MessageState.QUEUED,
        )
    ).all()
    for message in messages:
        message.state = MessageState.FAILED
        message.last_error = _error_text(reason)
    return len(messages)


def _add(**fields):
    to = fields.pop("to")
    now = utcnow()
    message = OutboxMessage(
        recipient=to,
        state=MessageState.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        **fields,
    )
    db.session.add(message)
    return message


def _checked_language(language):
    if language not in LANGUAGES:
        raise ValueError(f"messages are written in {', '.join(LANGUAGES)}")
    return language


# Rendering -------------------------------------------------------------------

_environment = None


def environment():
    """The Jinja environment of message templates (text, no autoescaping)."""
    global _environment
    if _environment is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            extensions=["jinja2.ext.i18n"],
        )
        # As babel.cfg extracts them: {% trans %} blocks are trimmed.
        env.policies["ext.i18n.trimmed"] = True
        env.install_gettext_callables(gettext, ngettext, newstyle=True)
        env.filters.update(
            format_day=format_day,
            slot_lines=slot_lines,
            format_date=format_date,
            format_time=format_time,
            format_datetime=format_datetime,
        )
        _environment = env
    return _environment


def render(template_name, language, context):
    """Render `emails/<template_name>` in `language`; for previews and tests."""
    with force_locale(_checked_language(language)):
        return _render(template_name, language, context)


def _render(template_name, language, context):
    template = environment().get_template(f"emails/{template_name}")
    return template.render({**(context or {}), "language": language})


def _tidy(text):
    """No trailing spaces, at most one empty line in a row, one final newline."""
    # "-- " (with its space) is the signature separator mail programs know.
    lines = [
        line if line == "-- " else line.rstrip()
        for line in text.strip("\n").splitlines()
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


# Enqueueing ------------------------------------------------------------------


def queue_for(invitation_id):
    """The RQ queue a message goes to: invitations cannot wait."""
    return "high" if invitation_id is not None else "default"


def enqueue_delivery(message_ids):
    """Enqueue delivery of these (committed) messages; call after the commit.

    Messages already waiting for a worker are not enqueued twice. When Redis
    is down this logs a warning and returns: the sweeper sends them later.
    Returns how many jobs were enqueued.
    """
    ids = sorted({int(i) for i in message_ids})
    if not ids:
        return 0
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.invitation_id).where(
            OutboxMessage.id.in_(ids), OutboxMessage.state == MessageState.QUEUED
        )
    ).all()
    return _enqueue([(row.id, queue_for(row.invitation_id)) for row in rows])


def _enqueue(pairs):
    queues = {}
    enqueued = 0
    for position, (message_id, name) in enumerate(pairs):
        try:
            if name not in queues:
                queues[name] = get_queue(name)
            enqueued += _enqueue_one(queues[name], message_id)
        except RedisError as exc:
            logger.warning(
                "outbox: cannot reach Redis (%s); %d message(s) left for the sweeper",
                type(exc).__name__,
                len(pairs) - position,
            )
            break
    return enqueued


def _enqueue_one(queue, message_id):
    """Enqueue one delivery job unless one is already waiting; 1 if enqueued."""
    key = job_id("deliver", message_id)
    for _ in range(2):
        try:
            queue.enqueue(
                DELIVER_JOB,
                message_id,
                job_id=key,
                unique=True,
                result_ttl=0,
                failure_ttl=FAILED_JOB_TTL,
                job_timeout=DELIVER_TIMEOUT,
            )
            return 1
        except DuplicateJobError:
            try:
                old = Job.fetch(
                    key, connection=queue.connection, serializer=JSONSerializer
                )
            except NoSuchJobError:
                continue  # it finished in between: enqueue anew
            if old.get_status(refresh=False) in _WAITING:
                return 0
            old.delete()  # a failed or stopped run: make room for a new one
    return 0


def _collect_new_messages(session, flush_context):
    new = [
        obj
        for obj in session.new
        if isinstance(obj, OutboxMessage) and obj.state == MessageState.QUEUED
    ]
    if new:
        pending = session.info.setdefault(_PENDING, {})
        for message in new:
            pending[message.id] = queue_for(message.invitation_id)


def _enqueue_after_commit(session):
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        _enqueue(sorted(pending.items()))
    except Exception:
        # A commit has happened and must not look failed; the sweeper retries.
        logger.exception("outbox: enqueueing %d message(s) failed", len(pending))


def _forget_after_rollback(session):
    session.info.pop(_PENDING, None)


def _listen():
    for name, listener in (
        ("after_flush", _collect_new_messages),
        ("after_commit", _enqueue_after_commit),
        ("after_rollback", _forget_after_rollback),
    ):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


_listen()


# Delivery bookkeeping --------------------------------------------------------


def due_messages(now, limit):
    """QUEUED messages whose next attempt is due at `now`, oldest first.

    Returns up to `limit` `Due(id, invitation_id)` tuples (no personal data
    is read).
    """
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.invitation_id)
        .where(
            OutboxMessage.state == MessageState.QUEUED,
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    return [Due(row.id, row.invitation_id) for row in rows]


def mark_sent(message, now):
    """Record that the relay or gateway took `message`; does not commit."""
    message.state = MessageState.SENT
    message.attempts = (message.attempts or 0) + 1
    message.sent_at = now
    message.last_error = None


def mark_failed(message, error, *, permanent, now):
    """Record a failed attempt; does not commit.

    `error` is a short error class (``email-temporary-451``), never an
    address. A permanent failure, or the last allowed attempt, makes the
    message FAILED; otherwise the next attempt is scheduled after
    `RETRY_DELAYS`. Returns True when the message is now FAILED.
    """
    attempts = (message.attempts or 0) + 1
    message.attempts = attempts
    message.last_error = _error_text(error)
    if permanent or attempts >= MAX_ATTEMPTS:
        message.state = MessageState.FAILED
        return True
    message.next_attempt_at = now + RETRY_DELAYS[attempts - 1]
    return False


def report_to_invitation(invitation_id, *, sent_at=None):
    """Tell the invitations service how its message fared; does not commit.

    With `sent_at` the message was handed over; without it, it never will be.
    """
    if invitation_id is None:
        return
    if sent_at is not None:
        hook = _invitations_hook("message_delivered")
        if hook is not None:
            hook(invitation_id, sent_at)
    else:
        hook = _invitations_hook("message_undeliverable")
        if hook is not None:
            hook(invitation_id)


def _invitations_hook(name):
    """`app.services.invitations.<name>`, or None while it does not exist."""
    module_name = "app.services.invitations"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    return getattr(module, name, None)


def _error_text(error):
    """A short, address-free error class for `last_error`."""
    text = re.sub(r"[^A-Za-z0-9._:-]+", "-", str(error)).strip("-")
    return text[:200] or "error"
