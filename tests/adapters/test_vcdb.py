"""The VCDB adapter against the simulator, over real HTTP.

The simulator runs as a subprocess with "today" pinned to 2021-04-11, so every
date below follows by hand from the serial rules in docs/vcdb-contract.md.
The national numbers are valid: check = 97 - (first 9 digits) % 97, with a 2
before the 9 digits for people born in 2000 or later.
"""

import datetime as dt
import http.server
import json
import logging
import threading
import time

import pytest
import requests
from stdnum.be import ssn

from app.adapters.vcdb import (
    Booking,
    BookingStatus,
    CodeLookupResult,
    CodeStatus,
    DayPart,
    DosePeriod,
    EligibilityStatus,
    HttpEligibilityService,
    Invitation,
    VaccinationCodeServiceUnavailable,
    from_config,
)
from simulators.testing import SimulatorProcess, free_port

UTC = dt.UTC

# Born 1965-04-20; serial, then check = 97 - 650420SSS % 97.
ELIGIBLE = "65042012388"  # serial 123
NOT_ELIGIBLE = "65042081278"  # serial 812
BOOKED_ALL = "65042086228"  # serial 862
BOOKED_FIRST = "65042088406"  # serial 884
VACCINATED = "65042091374"  # serial 913
UNKNOWN = "65042096126"  # serial 961
OTHER_BOOKED = "65042087020"  # serial 870, not one of the simulator's examples
# Born 2005-06-12, serial 456: check = 97 - 2050612456 % 97 = 39.
ELIGIBLE_2005 = "05061245639"

CODE_ELIGIBLE = "HH9M-RFG8-YQWU-QLPM"
CODE_BOOKED_ALL = "V3XF-FETL-EM8E-FKCZ"
CODE_NOT_ELIGIBLE = "HYRE-V9XW-4JLT-WV52"
ALL_NUMBERS = (
    ELIGIBLE,
    NOT_ELIGIBLE,
    BOOKED_ALL,
    BOOKED_FIRST,
    VACCINATED,
    UNKNOWN,
    OTHER_BOOKED,
    ELIGIBLE_2005,
)


def test_the_national_numbers_are_valid():
    for number in ALL_NUMBERS:
        assert ssn.is_valid(number), number


@pytest.fixture(scope="module")
def simulator():
    process = SimulatorProcess("simulators.vcdb", "--today", "2021-04-11")
    process.start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh(simulator):
    control(simulator, "/_sim/reset")


def control(simulator, path, body=None):
    response = requests.post(simulator.url + path, json=body or {}, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def stats(simulator):
    return requests.get(simulator.url + "/_sim/stats", timeout=5).json()


def make_service(url, **options):
    options = {
        "connect_timeout": 1.0,
        "read_timeout": 2.0,
        "retries": 2,
        "backoff_factor": 0,
        **options,
    }
    return HttpEligibilityService(url, **options)


@pytest.fixture
def service(simulator):
    with make_service(simulator.url) as client:
        yield client


# Each status.


def test_eligible_person(service):
    result = service.check_eligibility(ELIGIBLE)

    assert result.status is EligibilityStatus.ELIGIBLE
    assert result.is_eligible
    assert result.vaccination_code == CODE_ELIGIBLE
    assert result.code_status is CodeStatus.ACTIVATED_NOT_USED
    # 123 % 21 = 18: activated 7 + 18 = 25 days before 2021-04-11.
    assert result.activation_date == dt.date(2021, 3, 17)
    # 123 % 4 = 3: Jcovden, one dose only.
    assert result.vaccine_type == "jcovden"
    assert result.first_dose_period == DosePeriod(
        dt.date(2021, 3, 17), dt.date(2021, 6, 15)
    )
    assert result.second_dose_period is None
    assert result.first_vaccination_date is None
    assert result.booked_at is None
    assert result.booking is None
    assert result.invited is False
    assert result.invited_at is None
    assert result.invitation is None
    assert result.selection_source == "national_register"


def test_eligible_person_born_after_2000(service):
    result = service.check_eligibility("050612-456.39")

    assert result.status is EligibilityStatus.ELIGIBLE
    # 456 % 21 = 15: 22 days before; 456 % 4 = 0: Comirnaty, 21 days apart.
    assert result.activation_date == dt.date(2021, 3, 20)
    assert result.vaccine_type == "comirnaty"
    assert result.first_dose_period == DosePeriod(
        dt.date(2021, 3, 20), dt.date(2021, 6, 18)
    )
    assert result.second_dose_period == DosePeriod(
        dt.date(2021, 4, 10), dt.date(2021, 7, 9)
    )


def test_not_eligible_person(service):
    result = service.check_eligibility(NOT_ELIGIBLE)

    assert result.status is EligibilityStatus.NOT_ELIGIBLE
    assert not result.is_eligible
    assert result.code_status is CodeStatus.DEACTIVATED
    assert result.vaccination_code == CODE_NOT_ELIGIBLE
    assert result.booking is None


@pytest.mark.parametrize(
    ("number", "code_status", "booking"),
    [
        # 862: 1 + 862 % 5 = 3 days ahead, 862 % 3 = 1 afternoon (14:00),
        # 862 % 4 = 2 quarters, 862 % 5 = 2 third centre.
        (
            BOOKED_ALL,
            CodeStatus.BOOKED_ALL,
            Booking(
                dt.date(2021, 4, 14),
                DayPart.AFTERNOON,
                dt.time(14, 30),
                "vl-gent-flanders-expo",
            ),
        ),
        # 884: 5 days ahead, evening (18:00), no quarter, fifth centre.
        (
            BOOKED_FIRST,
            CodeStatus.BOOKED_FIRST_ONLY,
            Booking(dt.date(2021, 4, 16), DayPart.EVENING, dt.time(18, 0), "dg-eupen"),
        ),
    ],
)
def test_booked_person(service, number, code_status, booking):
    result = service.check_eligibility(number)

    assert result.status is EligibilityStatus.BOOKED
    assert result.code_status is code_status
    assert result.booking == booking
    assert result.booked_at == dt.datetime(2021, 4, 9, 10, 0, tzinfo=UTC)


def test_vaccinated_person(service):
    result = service.check_eligibility(VACCINATED)

    assert result.status is EligibilityStatus.VACCINATED
    assert result.code_status is CodeStatus.BOOKED_ALL
    # 913 % 30 = 13: vaccinated 14 + 13 = 27 days before, booked 7 days earlier.
    assert result.first_vaccination_date == dt.date(2021, 3, 15)
    assert result.booked_at == dt.datetime(2021, 3, 8, 10, 0, tzinfo=UTC)
    assert result.booking is None


def test_unknown_person(service):
    result = service.check_eligibility(UNKNOWN)

    assert result.status is EligibilityStatus.UNKNOWN
    assert result.vaccination_code is None
    assert result.code_status is None


def test_invalid_national_number_is_refused_before_any_request(simulator, service):
    with pytest.raises(ValueError):
        service.check_eligibility("65042012389")
    with pytest.raises(ValueError):
        service.check_eligibility("not a number")

    assert stats(simulator).get("requests", 0) == 0


# Latency, timeouts, outages, errors.


def test_latency_within_the_timeout(simulator, service):
    control(simulator, "/_sim/config", {"latency_ms": 300})

    started = time.monotonic()
    result = service.check_eligibility(ELIGIBLE)

    assert time.monotonic() - started >= 0.3
    assert result.status is EligibilityStatus.ELIGIBLE
    assert stats(simulator)["requests"] == 1


def test_timeout_exceeded_raises_after_the_retries(simulator):
    control(simulator, "/_sim/config", {"latency_ms": 1500})

    with make_service(simulator.url, read_timeout=0.2, retries=1) as service:
        started = time.monotonic()
        with pytest.raises(VaccinationCodeServiceUnavailable, match="timed out"):
            service.check_eligibility(ELIGIBLE)

    assert time.monotonic() - started < 1.4
    assert stats(simulator)["requests"] == 2


def test_outage_then_recovery(simulator, service):
    control(simulator, "/_sim/config", {"outage": True})

    with pytest.raises(VaccinationCodeServiceUnavailable) as caught:
        service.check_eligibility(ELIGIBLE)
    assert caught.value.status_code == 503
    # One attempt and two retries.
    assert stats(simulator) == {
        "requests": 3,
        "requests.eligibility": 3,
        "failures": 3,
    }
    with pytest.raises(VaccinationCodeServiceUnavailable):
        service.lookup_code(CODE_BOOKED_ALL)

    control(simulator, "/_sim/config", {"outage": False})

    assert service.check_eligibility(ELIGIBLE).status is EligibilityStatus.ELIGIBLE
    assert service.lookup_code(CODE_BOOKED_ALL).booked


def test_nothing_listening_raises():
    with make_service(f"http://127.0.0.1:{free_port()}", retries=1) as service:
        with pytest.raises(
            VaccinationCodeServiceUnavailable, match="cannot be reached"
        ):
            service.check_eligibility(ELIGIBLE)


def test_failures_are_retried(simulator, service):
    control(simulator, "/_sim/config", {"fail_next": 2})

    assert service.check_eligibility(ELIGIBLE).status is EligibilityStatus.ELIGIBLE
    assert stats(simulator)["requests"] == 3
    assert stats(simulator)["failures"] == 2


def test_error_rate_follows_the_seed(simulator):
    # random.Random(1) draws 0.134, 0.847, 0.764, 0.255, 0.495, 0.449, 0.652:
    # below 0.5 fails, so requests 1, 4, 5 and 6 are answered 503.
    control(simulator, "/_sim/config", {"error_rate": 0.5, "seed": 1})

    with make_service(simulator.url, retries=0) as service:
        with pytest.raises(VaccinationCodeServiceUnavailable):
            service.check_eligibility(ELIGIBLE)  # request 1
        service.check_eligibility(ELIGIBLE)  # request 2
        service.check_eligibility(ELIGIBLE)  # request 3
    with make_service(simulator.url, retries=3) as service:
        # Requests 4, 5 and 6 fail, the third retry (request 7) succeeds.
        assert service.check_eligibility(ELIGIBLE).is_eligible

    assert stats(simulator)["requests"] == 7
    assert stats(simulator)["failures"] == 4


def test_bearer_token(simulator):
    control(simulator, "/_sim/config", {"required_token": "s3cret"})

    with make_service(simulator.url) as service:
        with pytest.raises(VaccinationCodeServiceUnavailable) as caught:
            service.check_eligibility(ELIGIBLE)
    assert caught.value.status_code == 401

    with make_service(simulator.url, token="s3cret") as service:
        assert service.check_eligibility(ELIGIBLE).is_eligible


class _FixedAnswer(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    "body",
    [
        b"<html>maintenance</html>",
        b'["eligible"]',
        json.dumps({"status": "perhaps"}).encode(),
        json.dumps({"status": "eligible", "activation_date": "soon"}).encode(),
    ],
)
def test_garbage_answer_raises(body):
    handler = type("Answer", (_FixedAnswer,), {"body": body})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with make_service(url) as service:
            with pytest.raises(VaccinationCodeServiceUnavailable):
                service.check_eligibility(ELIGIBLE)
    finally:
        server.shutdown()
        server.server_close()


# Codes, invitations, state changes.


def test_lookup_of_a_booked_code(service):
    result = service.lookup_code(CODE_BOOKED_ALL)

    assert result == CodeLookupResult(
        found=True,
        code_status=CodeStatus.BOOKED_ALL,
        booked=True,
        booking=Booking(
            dt.date(2021, 4, 14),
            DayPart.AFTERNOON,
            dt.time(14, 30),
            "vl-gent-flanders-expo",
        ),
    )
    # Spaces, lower case and missing dashes are fine.
    assert service.lookup_code(" v3xf fetl em8e fkcz ") == result
    assert service.lookup_code("V3XFFETLEM8EFKCZ") == result


def test_lookup_of_an_unbooked_code(service):
    result = service.lookup_code(CODE_ELIGIBLE)

    assert result == CodeLookupResult(
        found=True, code_status=CodeStatus.ACTIVATED_NOT_USED, booked=False
    )


@pytest.mark.parametrize(
    "code",
    ["AAAA-AAAA-AAAA-AAAA", "V3XF-FETL-EM8E-FKC", "hello", "OOOO-0000-IIII-1111"],
)
def test_lookup_of_a_wrong_code(service, code):
    assert service.lookup_code(code) == CodeLookupResult(found=False)


def test_codes_are_known_once_their_person_was_looked_up(service):
    code = "M4QW-43AP-5W8A-T87L"
    assert not service.lookup_code(code).found

    assert service.check_eligibility(OTHER_BOOKED).vaccination_code == code

    assert service.lookup_code(code).booked


def test_mark_invited(service):
    invited_at = dt.datetime(
        2021, 4, 11, 15, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )

    result = service.mark_invited(
        ELIGIBLE,
        invited_at=invited_at,
        centre_id="vl-leuven-brabanthal",
        date=dt.date(2021, 4, 11),
    )

    assert result.invited is True
    assert result.invited_at == dt.datetime(2021, 4, 11, 13, 5, tzinfo=UTC)
    assert result.invitation == Invitation("vl-leuven-brabanthal", dt.date(2021, 4, 11))
    assert result.status is EligibilityStatus.ELIGIBLE
    again = service.check_eligibility(ELIGIBLE)
    assert again.invited is True
    assert again.invited_at == dt.datetime(2021, 4, 11, 13, 5, tzinfo=UTC)


def test_mark_invited_refused_for_a_booked_or_unknown_person(service):
    invited_at = dt.datetime(2021, 4, 11, 13, 5, tzinfo=UTC)
    options = {"invited_at": invited_at, "centre_id": "dg-eupen"}

    booked = service.mark_invited(BOOKED_ALL, date=dt.date(2021, 4, 11), **options)
    unknown = service.mark_invited(UNKNOWN, date=dt.date(2021, 4, 11), **options)

    assert booked.status is EligibilityStatus.BOOKED
    assert booked.invited is False
    assert unknown.status is EligibilityStatus.UNKNOWN
    with pytest.raises(ValueError):
        service.mark_invited(
            ELIGIBLE,
            date=dt.date(2021, 4, 11),
            centre_id="x",
            invited_at=dt.datetime(2021, 4, 11, 13, 5),
        )


def test_a_person_books_with_their_code(simulator, service):
    invited_at = dt.datetime(2021, 4, 11, 13, 0, tzinfo=UTC)
    before = service.booking_status(ELIGIBLE, invited_at)
    assert before == BookingStatus(
        EligibilityStatus.ELIGIBLE, CodeStatus.ACTIVATED_NOT_USED, None, False
    )

    control(
        simulator,
        "/_sim/person",
        {"ssin": ELIGIBLE, "status": "booked", "booked_at": "2021-04-11T13:12:00Z"},
    )

    after = service.booking_status(ELIGIBLE, invited_at)
    assert after == BookingStatus(
        EligibilityStatus.BOOKED,
        CodeStatus.BOOKED_ALL,
        dt.datetime(2021, 4, 11, 13, 12, tzinfo=UTC),
        True,
    )
    later = dt.datetime(2021, 4, 11, 13, 30, tzinfo=UTC)
    assert service.booking_status(ELIGIBLE, later).booked_since is False
    # 123: 1 + 123 % 5 = 4 days ahead, morning, 3 quarters, fourth centre.
    assert service.lookup_code(CODE_ELIGIBLE).booking == Booking(
        dt.date(2021, 4, 15), DayPart.MORNING, dt.time(9, 45), "vl-leuven-brabanthal"
    )


def test_a_person_becomes_not_eligible_or_unknown(simulator, service):
    control(simulator, "/_sim/person", {"ssin": ELIGIBLE, "status": "not_eligible"})

    result = service.check_eligibility(ELIGIBLE)
    assert result.status is EligibilityStatus.NOT_ELIGIBLE
    assert result.code_status is CodeStatus.DEACTIVATED

    control(simulator, "/_sim/person", {"ssin": ELIGIBLE, "status": "unknown"})

    assert service.check_eligibility(ELIGIBLE).status is EligibilityStatus.UNKNOWN
    assert not service.lookup_code(CODE_ELIGIBLE).found


def test_reset_forgets_changes(simulator, service):
    control(simulator, "/_sim/person", {"ssin": ELIGIBLE, "status": "vaccinated"})
    assert service.check_eligibility(ELIGIBLE).first_vaccination_date == dt.date(
        2021, 4, 11
    )

    control(simulator, "/_sim/reset")

    assert service.check_eligibility(ELIGIBLE).status is EligibilityStatus.ELIGIBLE


def test_bad_control_requests_are_refused(simulator):
    bad = [
        ("/_sim/config", {"latency": 5}),
        ("/_sim/config", {"error_rate": 2}),
        ("/_sim/person", {"ssin": ELIGIBLE, "status": "happy"}),
        ("/_sim/person", {"ssin": "12345678901", "status": "booked"}),
    ]
    for path, body in bad:
        response = requests.post(simulator.url + path, json=body, timeout=5)
        assert response.status_code == 400, (path, body)


# Privacy and configuration.


def test_no_national_number_or_code_is_logged(simulator, service, caplog):
    caplog.set_level(logging.DEBUG)
    service.check_eligibility(ELIGIBLE)
    service.check_eligibility(UNKNOWN)
    service.lookup_code(CODE_BOOKED_ALL)
    service.mark_invited(
        ELIGIBLE,
        invited_at=dt.datetime(2021, 4, 11, 13, 5, tzinfo=UTC),
        centre_id="dg-eupen",
        date=dt.date(2021, 4, 11),
    )
    control(simulator, "/_sim/config", {"outage": True})
    with pytest.raises(VaccinationCodeServiceUnavailable):
        service.check_eligibility(ELIGIBLE)

    assert "vcdb eligibility answered 200" in caplog.text
    assert "vcdb eligibility failed" in caplog.text
    simulator_log = simulator.output()
    assert "POST /api/v1/eligibility" in simulator_log
    for secret in (ELIGIBLE, UNKNOWN, CODE_BOOKED_ALL, CODE_ELIGIBLE):
        assert secret not in caplog.text
        assert secret not in simulator_log


def test_result_repr_leaves_the_code_out(service):
    assert CODE_ELIGIBLE not in repr(service.check_eligibility(ELIGIBLE))


def test_from_config():
    service = from_config(
        {
            "VCDB_URL": "https://vcdb.example.be/",
            "VCDB_TIMEOUT": "2,7.5",
            "VCDB_RETRIES": "0",
            "VCDB_CLIENT_CERT": "/etc/lmb/org.pem",
            "VCDB_CLIENT_KEY": "/etc/lmb/org.key",
            "VCDB_TOKEN": "t0ken",
        }
    )

    assert service.base_url == "https://vcdb.example.be"
    assert service.timeout == (2.0, 7.5)
    assert service.cert == ("/etc/lmb/org.pem", "/etc/lmb/org.key")
    assert service.headers["Authorization"] == "Bearer t0ken"
    adapter = service.session.get_adapter("https://vcdb.example.be/api/v1/eligibility")
    assert adapter.max_retries.total == 0
    assert "POST" in adapter.max_retries.allowed_methods


def test_from_config_defaults_and_errors():
    service = from_config(
        {"VCDB_URL": "http://127.0.0.1:5101", "VCDB_TIMEOUT": 3, "VCDB_TOKEN": ""}
    )
    assert service.timeout == (3.0, 3.0)
    assert service.cert is None
    assert "Authorization" not in service.headers
    adapter = service.session.get_adapter("http://127.0.0.1:5101/api/v1/eligibility")
    assert adapter.max_retries.total == 2

    with pytest.raises(ValueError):
        from_config({"VCDB_URL": ""})
    with pytest.raises(ValueError):
        from_config({"VCDB_URL": "http://x", "VCDB_CLIENT_KEY": "/k.pem"})
