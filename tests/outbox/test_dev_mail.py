"""The development mail page reads what the SMTP sink (a real subprocess) stored."""

import re

import flask_babel
import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from app.extensions import db
from app.models import OutboxMessage, Role
from app.services import users
from jobs.outbox import deliver
from simulators.testing import SimulatorProcess
from tests.auth.conftest import PASSWORD
from tests.outbox.test_delivery import commit_one


@pytest.fixture
def sink(tmp_path):
    maildir = tmp_path / "mail"
    simulator = SimulatorProcess(
        "simulators.smtp_sink", "--maildir", maildir, health_path=None
    )
    simulator.start()
    yield simulator, maildir
    simulator.stop()


class OperatorClient(FlaskClient):
    """A test client logged in as an operator: only they see /dev/ pages."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.post(
            "/staff/login",
            data={"username": "dev-operator@lmb.test", "password": PASSWORD},
        )
        # The log-in ran in the app context the tests hold: forget its language.
        flask_babel.refresh()


@pytest.fixture
def dev_app(outbox_app, sink):
    simulator, maildir = sink
    app = outbox_app(
        MAIL_HOST="127.0.0.1", MAIL_PORT=simulator.port, MAILDIR=str(maildir)
    )
    users.create_user("dev-operator@lmb.test", PASSWORD, Role.OPERATOR)
    app.test_client_class = OperatorClient
    return app


def stored_ids(maildir):
    return sorted(p.name[: -len(".eml")] for p in (maildir / "new").glob("*.eml"))


def test_list_shows_delivered_messages_newest_first(dev_app, sink):
    _simulator, maildir = sink
    deliver(commit_one(to="first@example.be", language="nl"))
    deliver(commit_one(to="second@example.be", language="fr"))
    client = dev_app.test_client()

    response = client.get("/dev/mail", headers={"Accept-Language": "fr"})

    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1.get_text() == "E-mails (développement)"
    rows = [
        [cell.get_text(strip=True) for cell in row.find_all("td")]
        for row in page.tbody.find_all("tr")
    ]
    assert [row[1:] for row in rows] == [
        [
            "Message de test de la liste de réserve pour la vaccination",
            "second@example.be",
        ],
        ["Testbericht van de reservelijst vaccinatie", "first@example.be"],
    ]
    first, second = stored_ids(maildir)
    links = [a["href"] for a in page.tbody.find_all("a")]
    assert links == [f"/dev/mail/{second}", f"/dev/mail/{first}"]


def test_one_message_shows_headers_and_escaped_text(dev_app, sink):
    _simulator, maildir = sink
    message_id = commit_one(
        to="anais@example.be",
        language="de",
        context={
            "recipient_name": "<b>Anaïs</b>",
            "manage_url": "https://lmb.example.be/de/me/x?a=1&b=2",
        },
    )
    deliver(message_id)
    [stored] = stored_ids(maildir)
    client = dev_app.test_client()

    response = client.get(f"/dev/mail/{stored}", headers={"Accept-Language": "de"})

    assert response.status_code == 200
    assert "<b>Anaïs</b>" not in response.text
    assert "&lt;b&gt;Anaïs&lt;/b&gt;" in response.text
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1.get_text() == "Testnachricht der Reserveliste Impfung"
    headers = dict(
        zip(
            [dt.get_text() for dt in page.find_all("dt")],
            [dd.get_text() for dd in page.find_all("dd")],
            strict=True,
        )
    )
    assert headers["To"] == "anais@example.be"
    assert headers["Content-Language"] == "de"
    assert re.fullmatch(r"<outbox-\d+-\d+@lmb\.example\.be>", headers["Message-ID"])
    body = page.pre.get_text()
    assert body.startswith("Guten Tag <b>Anaïs</b>,\n")
    assert [a["href"] for a in page.pre.find_all("a")] == [
        "https://lmb.example.be/de/me/x?a=1&b=2"
    ]


def test_unknown_or_malformed_id_is_404(dev_app):
    client = dev_app.test_client()

    assert (
        client.get("/dev/mail/00000000000000000001.000000.deadbeef").status_code == 404
    )
    assert client.get("/dev/mail/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/dev/mail/not-an-id").status_code == 404


def test_empty_mailbox(dev_app):
    response = dev_app.test_client().get("/dev/mail", headers={"Accept-Language": "nl"})

    assert response.status_code == 200
    assert "Nog geen berichten." in response.text


def test_test_mail_form_queues_a_message(dev_app, sink):
    client = dev_app.test_client()

    response = client.post("/dev/mail", data={"to": "dev@example.be", "language": "fr"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/dev/mail"
    [message] = db.session.query(OutboxMessage).all()
    assert (message.recipient, message.language, message.purpose) == (
        "dev@example.be",
        "fr",
        "test",
    )
    assert message.subject == (
        "Message de test de la liste de réserve pour la vaccination"
    )


def test_test_mail_form_refuses_a_bad_address(dev_app):
    client = dev_app.test_client()

    response = client.post(
        "/dev/mail",
        data={"to": "not an address", "language": "nl"},
        headers={"Accept-Language": "nl"},
    )

    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one(".error-summary li").get_text() == "Vul een e-mailadres in."
    assert page.select_one("#to-error").get_text() == "Vul een e-mailadres in."
    assert db.session.query(OutboxMessage).count() == 0


def test_dev_pages_are_for_operators_only(outbox_app):
    anonymous = outbox_app().test_client().get("/dev/mail")

    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/staff/login?next=")


def test_dev_pages_exist_only_with_dev_pages(outbox_app):
    production_like = outbox_app(DEV_PAGES=False)

    assert production_like.test_client().get("/dev/mail").status_code == 404
