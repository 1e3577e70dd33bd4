"""Queueing e-mail and delivering it through a real SMTP server."""

from datetime import timedelta

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import MessageState, OutboxMessage, utcnow
from app.services import outbox
from jobs.outbox import deliver
from simulators.testing import free_port
from tests.outbox.conftest import SmtpServer

SUBJECT = _l("Test message from the vaccination reserve list")

EXPECTED = {
    "nl": (
        "Testbericht van de reservelijst vaccinatie",
        "Beste Anaïs Dubois-Müller,\n"
        "\n"
        "Dit is een testbericht. Als u het kunt lezen, komen e-mails van de "
        "reservelijst vaccinatie bij u aan.\n"
        "\n"
        "Uw inschrijving wijzigen of intrekken: https://lmb.example.be/nl/me/abc\n"
        "\n"
        "-- \n"
        "Reservelijst voor vaccinatie op het laatste moment\n"
        "Dit bericht werd automatisch verstuurd; antwoorden worden niet gelezen.\n",
    ),
    "fr": (
        "Message de test de la liste de réserve pour la vaccination",
        "Bonjour Anaïs Dubois-Müller,\n"
        "\n"
        "Ceci est un message de test. Si vous pouvez le lire, les e-mails de la "
        "liste de réserve pour la vaccination vous parviennent.\n"
        "\n"
        "Modifier ou retirer votre inscription\u00a0: https://lmb.example.be/nl/me/abc\n"
        "\n"
        "-- \n"
        "Liste de réserve pour la vaccination de dernière minute\n"
        "Ce message a été envoyé automatiquement\u00a0; "
        "les réponses ne sont pas lues.\n",
    ),
    "de": (
        "Testnachricht der Reserveliste Impfung",
        "Guten Tag Anaïs Dubois-Müller,\n"
        "\n"
        "Dies ist eine Testnachricht. Wenn Sie sie lesen können, erreichen Sie "
        "die E-Mails der Reserveliste Impfung.\n"
        "\n"
        "Ihre Anmeldung ändern oder zurückziehen: https://lmb.example.be/nl/me/abc\n"
        "\n"
        "-- \n"
        "Reserveliste für Impfungen in letzter Minute\n"
        "Diese Nachricht wurde automatisch versendet; Antworten werden nicht "
        "gelesen.\n",
    ),
}


def queue_test_email(to="anais.dubois@example.be", language="nl", **kwargs):
    kwargs.setdefault(
        "context",
        {
            "recipient_name": "Anaïs Dubois-Müller",
            "manage_url": "https://lmb.example.be/nl/me/abc",
        },
    )
    message = outbox.queue_email(
        to=to,
        language=language,
        purpose="test",
        template="test_message",
        subject=SUBJECT,
        **kwargs,
    )
    return message


def commit_one(**kwargs):
    message = queue_test_email(**kwargs)
    db.session.commit()
    return message.id


def load(message_id):
    db.session.remove()
    return db.session.get(OutboxMessage, message_id)


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_email_arrives_in_the_recipients_language(mail_app, smtp, language):
    before = utcnow()
    message_id = commit_one(language=language)

    assert deliver(message_id) is True

    assert len(smtp.received) == 1
    received = smtp.received[0]
    assert received["mail_from"] == "noreply@lmb.example.be"
    assert received["rcpt_tos"] == ["anais.dubois@example.be"]
    mail = received["message"]
    subject, body = EXPECTED[language]
    assert mail["Subject"] == subject
    assert mail["From"] == "LMB <noreply@lmb.example.be>"
    assert mail["To"] == "anais.dubois@example.be"
    assert mail["Content-Language"] == language
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Date"] is not None
    assert mail["Message-ID"].startswith(f"<outbox-{message_id}-")
    assert mail["Message-ID"].endswith("@lmb.example.be>")
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content() == body
    # Nothing but ASCII on the wire: the text is quoted-printable.
    assert received["raw"].isascii()

    stored = load(message_id)
    assert stored.state == MessageState.SENT
    assert stored.attempts == 1
    assert before <= stored.sent_at <= utcnow()
    assert stored.last_error is None
    assert stored.subject == subject
    assert stored.language == language


def test_queue_email_does_not_commit(mail_app):
    message = queue_test_email()
    assert message in db.session.new
    db.session.rollback()

    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_queue_email_checks_its_arguments(mail_app):
    with pytest.raises(ValueError):
        queue_test_email(language="en")
    with pytest.raises(ValueError):
        queue_test_email(to="  ")


def test_smtp_down_keeps_the_message_then_delivers_it_once(outbox_app):
    port = free_port()
    outbox_app(MAIL_HOST="127.0.0.1", MAIL_PORT=port)
    message_id = commit_one()
    before = utcnow()

    assert deliver(message_id) is False

    stored = load(message_id)
    assert stored.state == MessageState.QUEUED
    assert stored.attempts == 1
    assert stored.last_error == "email-temporary"
    assert before + timedelta(minutes=1) <= stored.next_attempt_at
    assert stored.next_attempt_at <= utcnow() + timedelta(minutes=1)

    server = SmtpServer(port).start()
    try:
        # Not due yet: the backoff is kept.
        assert deliver(message_id) is False
        assert server.received == []

        stored = load(message_id)
        stored.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert deliver(message_id) is True
        assert deliver(message_id) is False
    finally:
        server.stop()

    assert len(server.received) == 1
    stored = load(message_id)
    assert (stored.state, stored.attempts, stored.last_error) == (
        MessageState.SENT,
        2,
        None,
    )


def test_delivering_twice_sends_one_mail(mail_app, smtp):
    message_id = commit_one()

    assert deliver(message_id) is True
    assert deliver(message_id) is False

    assert len(smtp.received) == 1
    assert load(message_id).attempts == 1


def test_permanent_refusal_fails_at_once(mail_app, smtp):
    message_id = commit_one(to="unknown.person@example.be")

    assert deliver(message_id) is False

    stored = load(message_id)
    assert stored.state == MessageState.FAILED
    assert stored.attempts == 1
    assert stored.last_error == "email-permanent-550"
    assert stored.sent_at is None
    assert smtp.received == []
    # A failed message is left alone afterwards.
    assert deliver(message_id) is False


def test_greylisting_is_tried_again_later(mail_app, smtp):
    message_id = commit_one(to="greylisted@example.be")

    deliver(message_id)

    stored = load(message_id)
    assert stored.state == MessageState.QUEUED
    assert stored.last_error == "email-temporary-451"


def test_malformed_address_fails_without_contacting_the_relay(mail_app, smtp):
    message_id = commit_one(to="Jan <jan@example.be>, piet@example.be")

    assert deliver(message_id) is False

    stored = load(message_id)
    assert (stored.state, stored.last_error) == (
        MessageState.FAILED,
        "email-bad-address",
    )
    assert smtp.received == []


def test_unknown_message_is_ignored(mail_app, smtp):
    assert deliver(987654) is False
    assert smtp.received == []
