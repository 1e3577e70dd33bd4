"""The booking system adapter against its simulator, over real HTTP."""

import datetime as dt
import logging
import time

import pytest
import requests

from app.adapters import booking
from simulators.testing import SimulatorProcess

CODE = "ABCD-EFGH-JKLM-NPQR"


def notice(notification_id="7b0c5a9e-1d5f-4c1e-9d3a-0a6f1e2b3c4d", **changes):
    fields = {
        "notification_id": notification_id,
        "vaccination_code": CODE,
        "date": dt.date(2021, 4, 11),
        "start_time": dt.time(15),
        "end_time": dt.time(19),
        "invited_at": dt.datetime(2021, 4, 10, 8, 30, tzinfo=dt.UTC),
        "centre_id": "vl-gent-flanders-expo",
    }
    fields.update(changes)
    return booking.InvitationNotice(**fields)


@pytest.fixture
def sim(booking_url):
    requests.post(f"{booking_url}/_sim/reset", timeout=5).raise_for_status()
    yield booking_url
    requests.post(f"{booking_url}/_sim/reset", timeout=5).raise_for_status()


def configure(url, **settings):
    requests.post(f"{url}/_sim/config", json=settings, timeout=5).raise_for_status()


def kept(url):
    return requests.get(f"{url}/_sim/notifications", timeout=5).json()["notifications"]


def client(url, **options):
    options.setdefault("backoff_factor", 0)
    return booking.HttpBookingSystem(url, **options)


def test_a_notification_is_received_once_and_a_repeat_is_a_duplicate(sim):
    with client(sim) as system:
        first = system.notify_invitation(notice())
        again = system.notify_invitation(notice())

    assert (first.duplicate, again.duplicate) == (False, True)
    assert first.notification_id == "7b0c5a9e-1d5f-4c1e-9d3a-0a6f1e2b3c4d"
    [record] = kept(sim)
    assert record == {
        "notification_id": "7b0c5a9e-1d5f-4c1e-9d3a-0a6f1e2b3c4d",
        "vaccination_code": CODE,
        "date": "2021-04-11",
        "start_time": "15:00",
        "end_time": "19:00",
        "invited_at": "2021-04-10T08:30:00Z",
        "centre_id": "vl-gent-flanders-expo",
        "received_at": record["received_at"],
        "deliveries": 2,
    }
    assert first.received_at == again.received_at


def test_passing_failures_are_retried_inside_one_call(sim):
    configure(sim, fail_next=2)

    with client(sim, retries=2) as system:
        result = system.notify_invitation(notice())

    assert result.duplicate is False
    stats = requests.get(f"{sim}/_sim/stats", timeout=5).json()
    assert (stats["requests"], stats["failures"], stats["accepted"]) == (3, 2, 1)


def test_a_lost_answer_is_harmless_when_sent_again(sim):
    configure(sim, lose_next=1)

    with client(sim, retries=0) as system:
        with pytest.raises(booking.BookingSystemError) as lost:
            system.notify_invitation(notice())
        result = system.notify_invitation(notice())

    assert (lost.value.status_code, lost.value.retryable) == (504, True)
    assert result.duplicate is True
    assert [n["deliveries"] for n in kept(sim)] == [2]


@pytest.mark.parametrize(
    ("settings", "status"),
    [({"outage": True}, 503), ({"required_token": "secret"}, 401)],
)
def test_an_outage_or_refused_credentials_can_be_retried(sim, settings, status):
    configure(sim, **settings)

    with client(sim, retries=1) as system:
        with pytest.raises(booking.BookingSystemError) as failure:
            system.notify_invitation(notice())

    assert (failure.value.status_code, failure.value.retryable) == (status, True)
    assert kept(sim) == []


def test_the_bearer_token_is_sent(sim):
    configure(sim, required_token="secret")

    with client(sim, token="secret") as system:
        assert system.notify_invitation(notice()).duplicate is False


def test_a_rejected_notification_is_not_retryable(sim, caplog):
    caplog.set_level(logging.INFO)
    with client(sim) as system:
        with pytest.raises(booking.BookingSystemError) as bad_code:
            system.notify_invitation(notice(vaccination_code="not a code"))
        system.notify_invitation(notice())
        with pytest.raises(booking.BookingSystemError) as reused:
            system.notify_invitation(notice(centre_id="dg-eupen"))

    assert (bad_code.value.status_code, bad_code.value.error) == (400, "invalid_code")
    assert bad_code.value.retryable is False
    assert (reused.value.status_code, reused.value.error) == (
        409,
        "notification_id_reused",
    )
    assert reused.value.retryable is False
    assert CODE not in caplog.text and "not a code" not in caplog.text


def test_a_slow_answer_times_out(sim):
    configure(sim, latency_ms=1500)

    with client(sim, read_timeout=0.3, retries=0) as system:
        with pytest.raises(booking.BookingSystemError, match="timed out"):
            system.notify_invitation(notice())

    # The simulator still records it once its pause is over, like a real
    # service would: wait for that, so that no later test sees it.
    deadline = time.monotonic() + 10
    while len(kept(sim)) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [n["deliveries"] for n in kept(sim)] == [1]


def test_nothing_listens(sim):
    with SimulatorProcess("simulators.booking") as stopped:
        url = stopped.url
    with client(url, retries=0, connect_timeout=0.5) as system:
        with pytest.raises(booking.BookingSystemError, match="cannot be reached"):
            system.notify_invitation(notice())


def test_from_config_reads_the_settings(tmp_path):
    system = booking.from_config(
        {
            "BOOKING_API_URL": "https://booking.example.be/",
            "BOOKING_API_TIMEOUT": "2,7",
            "BOOKING_API_TOKEN": "t0k3n",
            "BOOKING_API_CLIENT_CERT": str(tmp_path / "org.pem"),
            "BOOKING_API_CLIENT_KEY": str(tmp_path / "org.key"),
        }
    )

    assert system.base_url == "https://booking.example.be"
    assert system.timeout == (2.0, 7.0)
    assert system.headers["Authorization"] == "Bearer t0k3n"
    assert system.cert == (str(tmp_path / "org.pem"), str(tmp_path / "org.key"))
    with pytest.raises(ValueError):
        booking.from_config({"BOOKING_API_URL": ""})
    with pytest.raises(ValueError):
        booking.HttpBookingSystem("http://x", client_key="k.pem")
