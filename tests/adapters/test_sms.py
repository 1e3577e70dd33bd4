"""HttpSmsSender against the SMS gateway simulator running as a subprocess."""

import logging
import signal

import pytest
import requests

from app.adapters.sms import HttpSmsSender, SmsDeliveryError, SmsSender, from_config
from simulators.sms import count_segments
from simulators.testing import SimulatorProcess, free_port

TOKEN = "gateway-token-for-tests"
NUMBER = "+32470123456"
TEXT_NL = (
    "LMB: er is vandaag één dosis voor u in Vaccinatiecentrum Waregem, "
    "15:00–19:00. Boek binnen 30 minuten."
)


def direct_session():
    """A requests session that ignores proxy settings: the simulator is local."""
    session = requests.Session()
    session.trust_env = False
    return session


@pytest.fixture(scope="module")
def gateway_url():
    simulator = SimulatorProcess("simulators.sms", "--token", TOKEN)
    url = simulator.start()
    yield url
    simulator.stop()


@pytest.fixture
def control(gateway_url):
    """A session on the simulator, reset to a healthy gateway with no messages."""
    session = direct_session()
    reset = {"latency": 0, "error_rate": 0, "outage": False, "token": TOKEN}
    session.post(gateway_url + "/_sim/config", json=reset).raise_for_status()
    session.delete(gateway_url + "/_sim/messages").raise_for_status()
    yield session
    session.post(gateway_url + "/_sim/config", json=reset).raise_for_status()


def sender(url, **kwargs):
    kwargs.setdefault("token", TOKEN)
    kwargs.setdefault("timeout", 5)
    kwargs.setdefault("backoff", 0.01)
    return HttpSmsSender(url, session=direct_session(), **kwargs)


def received(control, url):
    response = control.get(url + "/_sim/messages")
    response.raise_for_status()
    return response.json()["messages"]


def request_count(control, url):
    return control.get(url + "/_sim/config").json()["counters"]["requests"]


def test_send_is_accepted_and_listed(gateway_url, control):
    message_id = sender(gateway_url).send(NUMBER, TEXT_NL, reference="outbox-1")

    assert message_id.startswith("sms-")
    messages = received(control, gateway_url)
    assert len(messages) == 1
    assert messages[0]["id"] == message_id
    assert messages[0]["to"] == "+32470123456"
    assert messages[0]["text"] == TEXT_NL
    assert messages[0]["reference"] == "outbox-1"
    assert messages[0]["encoding"] == "ucs2"
    assert messages[0]["segments"] == 2


def test_messages_can_be_listed_by_reference(gateway_url, control):
    gateway = sender(gateway_url)
    gateway.send("+32470111111", "Votre vaccin vous attend à Liège.", "outbox-2")
    gateway.send("+4915112345678", "Ihr Impftermin in Eupen.", "outbox-3")

    response = control.get(
        gateway_url + "/_sim/messages", params={"reference": "outbox-3"}
    )

    assert [m["to"] for m in response.json()["messages"]] == ["+4915112345678"]
    assert [m["text"] for m in received(control, gateway_url)] == [
        "Votre vaccin vous attend à Liège.",
        "Ihr Impftermin in Eupen.",
    ]


def test_repeated_reference_is_sent_once(gateway_url, control):
    gateway = sender(gateway_url)

    first = gateway.send(NUMBER, "Uw uitnodiging", reference="outbox-4")
    second = gateway.send(NUMBER, "Uw uitnodiging", reference="outbox-4")

    assert second == first
    assert len(received(control, gateway_url)) == 1


def test_outage_is_temporary_after_retries_then_recovers(gateway_url, control):
    control.post(gateway_url + "/_sim/config", json={"outage": True})
    before = request_count(control, gateway_url)
    gateway = sender(gateway_url, retries=2)

    with pytest.raises(SmsDeliveryError) as caught:
        gateway.send(NUMBER, "Uw uitnodiging", reference="outbox-5")

    assert caught.value.permanent is False
    assert caught.value.status_code == 503
    assert request_count(control, gateway_url) == before + 3
    assert received(control, gateway_url) == []

    control.post(gateway_url + "/_sim/config", json={"outage": False})
    message_id = gateway.send(NUMBER, "Uw uitnodiging", reference="outbox-5")

    assert [m["id"] for m in received(control, gateway_url)] == [message_id]


def test_server_errors_are_retried_then_temporary(gateway_url, control):
    control.post(gateway_url + "/_sim/config", json={"error_rate": 1.0})
    before = request_count(control, gateway_url)

    with pytest.raises(SmsDeliveryError) as caught:
        sender(gateway_url, retries=1).send(NUMBER, "Uw uitnodiging")

    assert caught.value.permanent is False
    assert caught.value.status_code == 500
    assert request_count(control, gateway_url) == before + 2


def test_bad_token_is_permanent_without_retry(gateway_url, control):
    before = request_count(control, gateway_url)

    with pytest.raises(SmsDeliveryError) as caught:
        sender(gateway_url, token="not-the-token").send(NUMBER, "Uw uitnodiging")

    assert caught.value.permanent is True
    assert caught.value.status_code == 401
    assert request_count(control, gateway_url) == before + 1
    assert received(control, gateway_url) == []


def test_missing_token_is_permanent(gateway_url, control):
    with pytest.raises(SmsDeliveryError) as caught:
        sender(gateway_url, token=None).send(NUMBER, "Uw uitnodiging")

    assert caught.value.permanent is True
    assert caught.value.status_code == 401


def test_gateway_without_token_accepts_any_caller(gateway_url, control):
    control.post(gateway_url + "/_sim/config", json={"token": None})

    sender(gateway_url, token=None).send(NUMBER, "Uw uitnodiging")

    assert len(received(control, gateway_url)) == 1


def test_number_not_in_e164_is_refused_before_sending(gateway_url, control):
    before = request_count(control, gateway_url)
    gateway = sender(gateway_url)

    for number in ("0470123456", "+32 470 12 34 56", "+0470123456", ""):
        with pytest.raises(SmsDeliveryError) as caught:
            gateway.send(number, "Uw uitnodiging")
        assert caught.value.permanent is True
        assert caught.value.status_code is None
    with pytest.raises(SmsDeliveryError):
        gateway.send(NUMBER, "  ")

    assert request_count(control, gateway_url) == before


def test_gateway_refuses_a_bad_body(gateway_url, control):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = gateway_url + "/v1/messages"

    bad_number = control.post(
        url, json={"to": "0470123456", "text": "x"}, headers=headers
    )
    no_text = control.post(url, json={"to": NUMBER}, headers=headers)
    not_json = control.post(url, data="to=+32470123456", headers=headers)

    assert bad_number.status_code == 400
    assert no_text.status_code == 400
    assert not_json.status_code == 400
    assert received(control, gateway_url) == []


def test_slow_gateway_times_out_as_temporary(gateway_url, control):
    control.post(gateway_url + "/_sim/config", json={"latency": 1.0})

    with pytest.raises(SmsDeliveryError) as caught:
        sender(gateway_url, timeout=0.2, retries=0).send(NUMBER, "Uw uitnodiging")

    assert caught.value.permanent is False
    assert caught.value.status_code is None


def test_unreachable_gateway_is_temporary():
    url = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(SmsDeliveryError) as caught:
        sender(url, retries=1).send(NUMBER, "Uw uitnodiging")

    assert caught.value.permanent is False


def test_config_endpoint_refuses_bad_values(gateway_url, control):
    url = gateway_url + "/_sim/config"

    assert control.post(url, json={"error_rate": 2}).status_code == 400
    assert control.post(url, json={"latency": -1}).status_code == 400
    assert control.post(url, json={"outage": "yes"}).status_code == 400
    assert control.post(url, json={"colour": "red"}).status_code == 400
    shown = control.get(url).json()
    assert (shown["latency"], shown["error_rate"], shown["outage"]) == (0, 0, False)
    assert shown["token_required"] is True


def test_logs_carry_references_not_numbers_or_text(gateway_url, control, caplog):
    caplog.set_level(logging.DEBUG, logger="app.adapters.sms")
    control.post(gateway_url + "/_sim/config", json={"outage": True})
    gateway = sender(gateway_url, retries=1)

    with pytest.raises(SmsDeliveryError):
        gateway.send(NUMBER, TEXT_NL, reference="outbox-6")
    control.post(gateway_url + "/_sim/config", json={"outage": False})
    gateway.send(NUMBER, TEXT_NL, reference="outbox-6")

    assert "outbox-6" in caplog.text
    assert "470123456" not in caplog.text
    assert "Waregem" not in caplog.text


def test_store_survives_a_restart_and_logs_stay_clean(tmp_path):
    store = tmp_path / "sms.jsonl"
    first = SimulatorProcess("simulators.sms", "--store", store)
    url = first.start()
    try:
        message_id = sender(url, token=None).send(
            "+32499887766", "Uw code: 1234-ABCD, Gent", reference="outbox-7"
        )
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(timeout=10) == 0
        log = first.output()
    finally:
        first.stop()
    assert message_id in log
    assert "499887766" not in log
    assert "1234-ABCD" not in log

    second = SimulatorProcess(
        "simulators.sms", env={"SMS_SIM_STORE": str(store), "SMS_SIM_OUTAGE": "1"}
    )
    url = second.start()
    try:
        session = direct_session()
        messages = session.get(url + "/_sim/messages").json()["messages"]
        assert [(m["id"], m["to"], m["text"]) for m in messages] == [
            (message_id, "+32499887766", "Uw code: 1234-ABCD, Gent")
        ]
        assert session.get(url + "/_sim/config").json()["outage"] is True
        assert session.get(url + "/_sim/health").json() == {"status": "ok"}
        again = sender(url, token=None, retries=0)
        with pytest.raises(SmsDeliveryError):
            again.send("+32499887766", "Uw code: 1234-ABCD, Gent", "outbox-7")
    finally:
        second.stop()


def test_segments_follow_the_gsm_alphabet():
    assert count_segments("a" * 160) == ("gsm7", 1)
    assert count_segments("a" * 161) == ("gsm7", 2)
    assert count_segments("a" * 306) == ("gsm7", 2)
    assert count_segments("a" * 307) == ("gsm7", 3)
    assert count_segments("Café à Liège, Grüße") == ("gsm7", 1)
    assert count_segments("€" * 80) == ("gsm7", 1)
    assert count_segments("€" * 81) == ("gsm7", 2)
    assert count_segments("België" * 11 + "ë" * 4) == ("ucs2", 1)
    assert count_segments("België" * 11 + "ë" * 5) == ("ucs2", 2)
    assert count_segments("ë" * 134) == ("ucs2", 2)
    assert count_segments("ë" * 135) == ("ucs2", 3)


def test_from_config_returns_none_when_sms_is_off():
    assert from_config({}) is None
    assert from_config({"SMS_ENABLED": False, "SMS_URL": "http://x"}) is None
    assert from_config({"SMS_ENABLED": "false", "SMS_URL": "http://x"}) is None
    assert from_config({"SMS_ENABLED": "0", "SMS_URL": "http://x"}) is None


def test_from_config_builds_an_http_sender():
    sms = from_config(
        {
            "SMS_ENABLED": "true",
            "SMS_URL": "https://sms.example.be/",
            "SMS_TOKEN": "abc",
            "SMS_TIMEOUT": "2.5",
        }
    )

    assert isinstance(sms, SmsSender)
    assert isinstance(sms, HttpSmsSender)
    assert sms.url == "https://sms.example.be/v1/messages"
    assert sms.token == "abc"
    assert sms.timeout == 2.5
    assert from_config({"SMS_ENABLED": True, "SMS_URL": "http://x"}).timeout == 5.0


def test_from_config_needs_a_url_when_enabled():
    with pytest.raises(ValueError):
        from_config({"SMS_ENABLED": True, "SMS_URL": ""})
