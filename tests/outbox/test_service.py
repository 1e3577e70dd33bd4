"""The outbox service's bookkeeping: backoff, error classes, rendering."""

from datetime import UTC, datetime, timedelta

import jinja2
import pytest
from flask_babel import lazy_gettext as _l

from app.models import MessageState, OutboxMessage
from app.services import outbox

NOW = datetime(2021, 4, 12, 9, 0, tzinfo=UTC)


def new_message():
    return OutboxMessage(state=MessageState.QUEUED, attempts=0, next_attempt_at=NOW)


def test_temporary_failures_back_off_then_give_up_after_about_a_day():
    message = new_message()
    waits = []
    now = NOW
    while message.state == MessageState.QUEUED:
        final = outbox.mark_failed(
            message, "email-temporary-451", permanent=False, now=now
        )
        if final:
            break
        waits.append(int((message.next_attempt_at - now).total_seconds() // 60))
        now = message.next_attempt_at

    assert waits == [1, 2, 5, 10, 30, 60, 120, 240, 480, 480]
    assert message.attempts == 11
    assert message.state == MessageState.FAILED
    assert now - NOW == timedelta(minutes=1428)  # 23 h 48 min


def test_permanent_failure_is_final_at_once():
    message = new_message()

    assert outbox.mark_failed(message, "email-permanent-550", permanent=True, now=NOW)

    assert (message.state, message.attempts, message.last_error) == (
        MessageState.FAILED,
        1,
        "email-permanent-550",
    )
    assert message.next_attempt_at == NOW


def test_mark_sent_records_the_time():
    message = new_message()
    outbox.mark_failed(message, "email-temporary", permanent=False, now=NOW)
    later = NOW + timedelta(minutes=1)

    outbox.mark_sent(message, later)

    assert (message.state, message.attempts, message.sent_at, message.last_error) == (
        MessageState.SENT,
        2,
        later,
        None,
    )


def test_last_error_is_short_and_plain():
    message = new_message()

    outbox.mark_failed(
        message, "weird <jan@example.be> error\n" * 20, permanent=False, now=NOW
    )

    assert len(message.last_error) == 200
    assert "<" not in message.last_error
    assert "\n" not in message.last_error


def test_queues_by_kind_of_message():
    assert outbox.queue_for(7) == "high"
    assert outbox.queue_for(None) == "default"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "Goedendag,\n\nDit is een testbericht."),
        ("fr", "Bonjour,\n\nCeci est un message de test."),
        ("de", "Guten Tag,\n\nDies ist eine Testnachricht."),
    ],
)
def test_layout_greets_without_a_name_and_leaves_out_the_manage_link(
    app_ctx, language, expected
):
    body = outbox.render("test_message.txt", language, {})

    assert body.startswith(expected)
    assert "https://" not in body


def test_missing_context_is_an_error(app_ctx):
    template = outbox.environment().from_string("{{ centre_name }}")

    with pytest.raises(jinja2.UndefinedError):
        template.render()


def test_subject_is_one_line_in_the_recipients_language(app_ctx):
    message = outbox.queue_email(
        to="jan@example.be",
        language="de",
        purpose="test",
        template="test_message",
        context={},
        subject=_l("Test message from the vaccination reserve list"),
    )

    assert message.subject == "Testnachricht der Reserveliste Impfung"
    assert message.body.endswith("Antworten werden nicht gelesen.\n")
    assert message.state == MessageState.QUEUED
    assert message.attempts == 0
