"""MailSender against real SMTP servers, and the development SMTP sink.

The servers are aiosmtpd instances on free local ports: a collecting handler
in a thread for the sender's behaviour, and `simulators.smtp_sink` as a
subprocess (through `simulators.testing`) for the sink and
`app.adapters.mailbox_reader`.
"""

import datetime
import ipaddress
import logging
import signal
import ssl
import time
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app.adapters import mailbox_reader
from app.adapters.mail import MailDeliveryError, MailSender, from_config
from simulators.testing import SimulatorProcess, free_port

SENDER = "LMB <noreply@lmb.example.be>"

SUBJECT_NL = "Uw uitnodiging: vaccinatie vandaag in Sint-Niklaas – één plaats vrij"
BODY = (
    "Beste Anaïs,\n"
    "Er is vandaag één dosis over in het vaccinatiecentrum Waregem. "
    "Vergeet uw eID niet.\n"
    "\n"
    "Chère Anaïs,\n"
    "Une dose est disponible aujourd'hui à Liège : présentez-vous à l'accueil "
    "avec votre carte d'identité électronique. Œuvre commune, à bientôt !\n"
    "\n"
    "Liebe Anaïs,\n"
    "Heute ist in Eupen eine Impfdosis übrig. Bitte bringen Sie Ihren "
    "Personalausweis mit. Grüße aus der Straße am Bahnhof.\n"
)


class Collector:
    """Handler that refuses some local parts and keeps everything else."""

    def __init__(self):
        self.received = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local_part = address.partition("@")[0]
        if local_part.startswith("unknown"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if local_part.startswith("greylisted"):
            return f"451 4.7.1 <{address}>: Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "message": BytesParser(policy=default_policy).parsebytes(
                    envelope.content.replace(b"\r\n", b"\n")
                ),
                "authenticated": session.authenticated,
            }
        )
        return "250 2.0.0 Message accepted for delivery"


def start_server(handler, **kwargs):
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def collector():
    return Collector()


@pytest.fixture
def smtp_server(collector):
    controller = start_server(collector)
    yield controller
    controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (cert path, key path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls(certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def client_tls(certificate):
    return ssl.create_default_context(cafile=str(certificate[0]))


def invitation(to="jan.peeters@example.be", subject=SUBJECT_NL, body=BODY):
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def sender_for(controller, **kwargs):
    kwargs.setdefault("from_address", SENDER)
    kwargs.setdefault("timeout", 5)
    return MailSender(controller.hostname, controller.port, **kwargs)


def test_send_delivers_headers_and_multilingual_text(smtp_server, collector):
    message = invitation()
    message["Cc"] = "Marie Dubois <marie.dubois@example.be>"
    message["Bcc"] = "archief@example.be"
    message["Message-ID"] = "<invitation-42@lmb.example.be>"

    sender_for(smtp_server).send(message)

    assert len(collector.received) == 1
    received = collector.received[0]
    assert received["mail_from"] == "noreply@lmb.example.be"
    assert received["rcpt_tos"] == [
        "jan.peeters@example.be",
        "archief@example.be",
        "marie.dubois@example.be",
    ]
    delivered = received["message"]
    assert delivered["From"] == "LMB <noreply@lmb.example.be>"
    assert delivered["To"] == "jan.peeters@example.be"
    assert delivered["Cc"] == "Marie Dubois <marie.dubois@example.be>"
    assert delivered["Bcc"] is None
    assert delivered["Message-ID"] == "<invitation-42@lmb.example.be>"
    assert delivered["Date"] is not None
    assert delivered["Subject"] == (
        "Uw uitnodiging: vaccinatie vandaag in Sint-Niklaas – één plaats vrij"
    )
    assert delivered.get_content_charset() == "utf-8"
    text = delivered.get_content()
    assert "Er is vandaag één dosis over in het vaccinatiecentrum Waregem." in text
    assert "à Liège : présentez-vous à l'accueil" in text
    assert "Œuvre commune, à bientôt !" in text
    assert "Grüße aus der Straße am Bahnhof." in text
    assert text == BODY


def test_missing_headers_are_filled_on_a_copy(smtp_server, collector):
    message = invitation(subject="Rappel : votre disponibilité expire bientôt")

    sender_for(smtp_server).send(message)

    assert message["From"] is None
    assert message["Message-ID"] is None
    delivered = collector.received[0]["message"]
    assert delivered["From"] == "LMB <noreply@lmb.example.be>"
    assert delivered["Subject"] == "Rappel : votre disponibilité expire bientôt"
    assert delivered["Message-ID"].endswith("@lmb.example.be>")
    assert delivered["Date"] is not None


def test_from_header_of_the_message_wins(smtp_server, collector):
    message = invitation()
    message["From"] = "Vaccinatiecentrum Gent <centrum@gent.example.be>"

    sender_for(smtp_server, from_address=None).send(message)

    received = collector.received[0]
    assert received["mail_from"] == "centrum@gent.example.be"
    assert received["message"]["From"] == (
        "Vaccinatiecentrum Gent <centrum@gent.example.be>"
    )


def test_refused_recipient_is_permanent(smtp_server, collector, caplog):
    caplog.set_level(logging.DEBUG, logger="app.adapters.mail")

    with pytest.raises(MailDeliveryError) as caught:
        sender_for(smtp_server).send(invitation(to="unknown.person@example.be"))

    assert caught.value.permanent is True
    assert caught.value.smtp_code == 550
    assert collector.received == []
    assert "unknown.person" not in str(caught.value)
    assert "unknown.person" not in caplog.text
    assert "permanent" in caplog.text


def test_greylisted_recipient_is_temporary(smtp_server, collector):
    with pytest.raises(MailDeliveryError) as caught:
        sender_for(smtp_server).send(invitation(to="greylisted@example.be"))

    assert caught.value.permanent is False
    assert caught.value.smtp_code == 451
    assert collector.received == []


def test_partly_refused_message_is_permanent_and_reaches_the_others(
    smtp_server, collector
):
    message = invitation(to="jan.peeters@example.be, unknown@example.be")

    with pytest.raises(MailDeliveryError) as caught:
        sender_for(smtp_server).send(message)

    assert caught.value.permanent is True
    assert caught.value.smtp_code == 550
    assert [item["rcpt_tos"] for item in collector.received] == [
        ["jan.peeters@example.be"]
    ]


def test_closed_port_is_temporary():
    sender = MailSender("127.0.0.1", free_port(), from_address=SENDER, timeout=2)

    with pytest.raises(MailDeliveryError) as caught:
        sender.send(invitation())

    assert caught.value.permanent is False
    assert caught.value.smtp_code is None
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_message_without_any_sender_is_kept_for_later(smtp_server, collector):
    with pytest.raises(MailDeliveryError) as caught:
        sender_for(smtp_server, from_address=None).send(invitation())

    assert caught.value.permanent is False
    assert collector.received == []


def test_message_without_recipients_is_permanent(smtp_server, collector):
    message = invitation()
    del message["To"]

    with pytest.raises(MailDeliveryError) as caught:
        sender_for(smtp_server).send(message)

    assert caught.value.permanent is True
    assert collector.received == []


def test_log_lines_name_the_message_id_only(smtp_server, caplog):
    caplog.set_level(logging.DEBUG, logger="app.adapters.mail")
    message = invitation()
    message["Message-ID"] = "<outbox-7@lmb.example.be>"

    sender_for(smtp_server).send(message)

    assert "<outbox-7@lmb.example.be>" in caplog.text
    assert "delivered" in caplog.text
    for secret in ("jan.peeters", "noreply", "Sint-Niklaas", "Waregem"):
        assert secret not in caplog.text


def check_password(server, session, envelope, mechanism, auth_data):
    valid = auth_data.login == b"lmb" and auth_data.password == b"s3cret-wachtwoord"
    # handled=False: aiosmtpd itself answers 535 to a failed attempt.
    return AuthResult(success=valid, handled=False)


@pytest.fixture
def starttls_server(collector, certificate):
    controller = start_server(
        collector,
        tls_context=server_tls(certificate),
        require_starttls=True,
        authenticator=check_password,
        auth_required=True,
    )
    yield controller
    controller.stop()


def test_starttls_and_login(starttls_server, collector, certificate):
    sender = sender_for(
        starttls_server,
        use_tls=True,
        username="lmb",
        password="s3cret-wachtwoord",
        ssl_context=client_tls(certificate),
    )

    sender.send(invitation())

    assert len(collector.received) == 1
    assert collector.received[0]["authenticated"] is True
    assert collector.received[0]["message"].get_content() == BODY


def test_wrong_password_is_temporary(starttls_server, collector, certificate):
    sender = sender_for(
        starttls_server,
        use_tls=True,
        username="lmb",
        password="wrong",
        ssl_context=client_tls(certificate),
    )

    with pytest.raises(MailDeliveryError) as caught:
        sender.send(invitation())

    assert caught.value.permanent is False
    assert caught.value.smtp_code == 535
    assert collector.received == []


def test_relay_demanding_starttls_refuses_a_plain_session(starttls_server, collector):
    with pytest.raises(MailDeliveryError) as caught:
        sender_for(starttls_server).send(invitation())

    assert caught.value.permanent is False
    assert caught.value.smtp_code == 530
    assert collector.received == []


def test_untrusted_certificate_is_temporary(starttls_server, collector):
    sender = sender_for(starttls_server, use_tls=True)

    with pytest.raises(MailDeliveryError) as caught:
        sender.send(invitation())

    assert caught.value.permanent is False
    assert isinstance(caught.value.__cause__, ssl.SSLError)


def test_implicit_tls(collector, certificate):
    controller = start_server(collector, ssl_context=server_tls(certificate))
    try:
        sender = sender_for(
            controller, use_ssl=True, ssl_context=client_tls(certificate)
        )
        sender.send(invitation())
    finally:
        controller.stop()

    assert collector.received[0]["message"]["Subject"] == SUBJECT_NL


def test_from_config_reads_the_mail_settings():
    sender = from_config(
        {
            "MAIL_HOST": "smtp.example.be",
            "MAIL_PORT": "587",
            "MAIL_USE_TLS": "true",
            "MAIL_USE_SSL": "false",
            "MAIL_USERNAME": "lmb",
            "MAIL_PASSWORD": "geheim",
            "MAIL_FROM": "LMB <noreply@lmb.example.be>",
            "MAIL_TIMEOUT": "7.5",
        }
    )

    assert isinstance(sender, MailSender)
    assert sender.host == "smtp.example.be"
    assert sender.port == 587
    assert sender.use_tls is True
    assert sender.use_ssl is False
    assert sender.username == "lmb"
    assert sender.password == "geheim"
    assert sender.from_address == "LMB <noreply@lmb.example.be>"
    assert sender.timeout == 7.5


def test_from_config_defaults_and_parsed_values():
    sender = MailSender.from_config(
        {"MAIL_HOST": "127.0.0.1", "MAIL_PORT": 8025, "MAIL_USE_SSL": False}
    )
    assert (sender.host, sender.port, sender.timeout) == ("127.0.0.1", 8025, 10.0)
    assert sender.username is None
    assert from_config({"MAIL_USE_SSL": True}).port == 465
    assert from_config({"MAIL_USE_TLS": "1"}).port == 587
    assert from_config({}).port == 25


def test_from_config_refuses_tls_with_ssl():
    with pytest.raises(ValueError):
        from_config({"MAIL_USE_TLS": True, "MAIL_USE_SSL": True})


# The development sink and reading its folder back.


@pytest.fixture
def sink(tmp_path):
    """A running `python -m simulators.smtp_sink`: (simulator, maildir)."""
    maildir = tmp_path / "mail"
    simulator = SimulatorProcess(
        "simulators.smtp_sink",
        "--maildir",
        maildir,
        health_path=None,
        env={"MAILDIR": None},
    )
    simulator.start()
    yield simulator, maildir
    simulator.stop()


def wait_for_messages(maildir, count, deadline=10.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        messages = mailbox_reader.list_messages(maildir)
        if len(messages) >= count:
            return messages
        time.sleep(0.05)
    raise AssertionError(f"expected {count} messages in {maildir}")


def test_sink_stores_messages_that_read_back(sink):
    simulator, maildir = sink
    sender = MailSender(simulator.host, simulator.port, from_address=SENDER, timeout=5)
    first = invitation(to="anais.lambert@example.be")
    first["Bcc"] = "controle@example.be"
    sender.send(first)
    sender.send(invitation(subject="Tweede bericht: uw vaccinatiecode 1234-ABCD"))

    messages = wait_for_messages(maildir, 2)

    ids = [message_id for message_id, _message in messages]
    assert ids == sorted(ids)
    assert all(mailbox_reader.is_message_id(message_id) for message_id in ids)
    assert [message["Subject"] for _id, message in messages] == [
        SUBJECT_NL,
        "Tweede bericht: uw vaccinatiecode 1234-ABCD",
    ]
    stored = messages[0][1]
    assert stored["From"] == "LMB <noreply@lmb.example.be>"
    assert stored["To"] == "anais.lambert@example.be"
    assert stored["Bcc"] is None
    assert stored.get_all("Delivered-To") == [
        "anais.lambert@example.be",
        "controle@example.be",
    ]
    assert stored["Return-Path"] == "<noreply@lmb.example.be>"
    assert stored.get_content() == BODY

    reread = mailbox_reader.get_message(maildir, ids[0])
    assert reread["Message-ID"] == stored["Message-ID"]
    assert reread.get_content() == BODY
    newest = mailbox_reader.list_messages(maildir, newest_first=True)
    assert [message_id for message_id, _message in newest] == ids[::-1]
    received = mailbox_reader.received_at(ids[0])
    age = datetime.datetime.now(datetime.UTC) - received
    assert datetime.timedelta(0) <= age < datetime.timedelta(minutes=1)

    assert list((maildir / "tmp").iterdir()) == []
    assert sorted(path.name for path in (maildir / "new").iterdir()) == [
        ids[0] + ".eml",
        ids[1] + ".eml",
    ]

    simulator.process.send_signal(signal.SIGTERM)
    assert simulator.process.wait(timeout=10) == 0
    log = simulator.output()
    assert ids[0] in log
    for secret in ("anais", "controle", "noreply", "vaccinatiecode"):
        assert secret not in log


def test_sink_stops_cleanly_on_sigint(sink):
    simulator, maildir = sink

    simulator.process.send_signal(signal.SIGINT)

    assert simulator.process.wait(timeout=10) == 0
    assert mailbox_reader.list_messages(maildir) == []


def test_reader_refuses_ids_that_are_not_the_sinks(tmp_path):
    (tmp_path / "new").mkdir()
    (tmp_path / "secret.eml").write_text("Subject: secret\n\nno\n")
    (tmp_path / "new" / "notes.eml").write_text("Subject: not from the sink\n\n.\n")
    good_id = "01700000000000000000.000001.0123abcd"
    unknown_id = "01700000000000000000.000002.0123abcd"
    (tmp_path / "new" / f"{unknown_id}.eml.swp").write_text("x")
    (tmp_path / "new" / f"{good_id}.eml").write_bytes(
        "Subject: Prüfung\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\nGrüße\n".encode()
    )

    listed = mailbox_reader.list_messages(tmp_path)

    assert [message_id for message_id, _message in listed] == [good_id]
    assert listed[0][1]["Subject"] == "Prüfung"
    assert listed[0][1].get_content() == "Grüße\n"
    assert mailbox_reader.get_message(tmp_path, good_id)["Subject"] == "Prüfung"
    for bad_id in (
        "../secret",
        "notes",
        "../new/" + good_id,
        good_id + "/",
        good_id.upper(),
        "",
        None,
        "01700000000000000000.000001.0123abc",
    ):
        assert mailbox_reader.get_message(tmp_path, bad_id) is None
    assert mailbox_reader.get_message(tmp_path, unknown_id) is None
    assert mailbox_reader.received_at(good_id) == datetime.datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=datetime.UTC
    )


def test_reader_of_a_missing_folder_lists_nothing(tmp_path):
    nowhere = tmp_path / "nowhere"
    assert mailbox_reader.list_messages(nowhere) == []
    assert mailbox_reader.get_message(nowhere, "0" * 20 + ".000000.00000000") is None
