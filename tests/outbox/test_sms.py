"""SMS through the outbox, to the SMS gateway simulator (a real subprocess)."""

from datetime import timedelta

import pytest
import requests

from app.extensions import db
from app.models import MessageState, OutboxMessage, utcnow
from app.services import outbox
from jobs.outbox import deliver
from simulators.testing import SimulatorProcess
from tests.outbox.test_delivery import load

TOKEN = "outbox-gateway-token"
NUMBER = "+32470123456"

TEXTS = {
    "nl": "Testbericht: sms-berichten van de reservelijst vaccinatie komen bij u "
    "aan.\nReservelijst vaccinatie",
    "fr": "Message de test : les SMS de la liste de réserve pour la vaccination "
    "vous parviennent.\nListe de réserve pour la vaccination",
    "de": "Testnachricht: SMS der Reserveliste Impfung erreichen Sie.\n"
    "Reserveliste Impfung",
}


@pytest.fixture(scope="module")
def gateway_url():
    simulator = SimulatorProcess("simulators.sms", "--token", TOKEN)
    url = simulator.start()
    yield url
    simulator.stop()


@pytest.fixture
def control(gateway_url):
    session = requests.Session()
    session.trust_env = False
    reset = {"latency": 0, "error_rate": 0, "outage": False, "token": TOKEN}
    session.post(gateway_url + "/_sim/config", json=reset).raise_for_status()
    session.delete(gateway_url + "/_sim/messages").raise_for_status()
    yield session
    session.post(gateway_url + "/_sim/config", json=reset).raise_for_status()


@pytest.fixture
def sms_app(outbox_app, gateway_url):
    return outbox_app(SMS_ENABLED=True, SMS_URL=gateway_url, SMS_TOKEN=TOKEN)


def received(control, url):
    return control.get(url + "/_sim/messages").json()["messages"]


def queue_test_sms(language="nl", to=NUMBER):
    message = outbox.queue_sms(
        to=to,
        language=language,
        purpose="test",
        template="test_message",
        context={},
    )
    db.session.commit()
    return message


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_sms_is_sent_in_the_recipients_language(
    sms_app, control, gateway_url, language
):
    message = queue_test_sms(language)
    message_id = message.id
    reference = f"outbox-{message_id}-{int(message.created_at.timestamp())}"

    assert deliver(message_id) is True

    [sms] = received(control, gateway_url)
    assert sms["to"] == NUMBER
    assert sms["text"] == TEXTS[language]
    assert sms["reference"] == reference
    assert len(sms["text"]) < outbox.SMS_MAX_LENGTH
    stored = load(message_id)
    assert (stored.state, stored.channel, stored.subject) == (
        MessageState.SENT,
        "sms",
        None,
    )


def test_nothing_is_queued_when_sms_is_off(outbox_app):
    outbox_app(SMS_ENABLED=False)

    assert queue_test_sms() is None
    assert db.session.query(OutboxMessage).count() == 0


def test_gateway_outage_is_retried_later(sms_app, control, gateway_url):
    control.post(gateway_url + "/_sim/config", json={"outage": True})
    message_id = queue_test_sms().id

    assert deliver(message_id) is False

    stored = load(message_id)
    assert (stored.state, stored.attempts, stored.last_error) == (
        MessageState.QUEUED,
        1,
        "sms-temporary-503",
    )
    control.post(gateway_url + "/_sim/config", json={"outage": False})
    stored.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert deliver(message_id) is True
    assert len(received(control, gateway_url)) == 1


def test_number_the_gateway_cannot_take_fails_at_once(sms_app, control, gateway_url):
    message_id = queue_test_sms(to="0470 12 34 56").id

    assert deliver(message_id) is False

    stored = load(message_id)
    assert (stored.state, stored.last_error) == (
        MessageState.FAILED,
        "sms-permanent",
    )
    assert received(control, gateway_url) == []


def test_sms_switched_off_after_queueing_fails_the_message(
    sms_app, outbox_app, control, gateway_url
):
    message_id = queue_test_sms().id
    outbox_app(SMS_ENABLED=False)

    assert deliver(message_id) is False

    stored = load(message_id)
    assert (stored.state, stored.last_error) == (MessageState.FAILED, "sms-disabled")
    assert received(control, gateway_url) == []


def test_unexpected_error_counts_as_an_attempt_and_is_raised(outbox_app):
    outbox_app(SMS_ENABLED=True, SMS_URL="")  # a broken setting
    message_id = queue_test_sms().id
    before = utcnow()

    with pytest.raises(ValueError):
        deliver(message_id)

    stored = load(message_id)
    assert (stored.state, stored.attempts, stored.last_error) == (
        MessageState.QUEUED,
        1,
        "error-ValueError",
    )
    assert stored.next_attempt_at >= before + timedelta(minutes=1)
