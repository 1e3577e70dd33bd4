"""Fixtures for direct slots: the booking system simulator, staff accounts,
open moments and a client for each."""

import itertools
from datetime import UTC, datetime, time, timedelta

import pytest
import requests

from app.adapters import booking as booking_adapter
from app.extensions import db
from app.models import Centre, Role
from app.services import availability, direct, users
from simulators.testing import SimulatorProcess

PASSWORD = "Correct horse battery 9"
GENT = "vl-gent-flanders-expo"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def booking_url():
    """The booking system simulator, shared by the tests of this folder."""
    with SimulatorProcess("simulators.booking") as simulator:
        yield simulator.url


class BookingControl:
    def __init__(self, url):
        self.url = url

    def configure(self, **settings):
        response = requests.post(f"{self.url}/_sim/config", json=settings, timeout=5)
        response.raise_for_status()

    def notifications(self):
        response = requests.get(f"{self.url}/_sim/notifications", timeout=5)
        response.raise_for_status()
        return response.json()["notifications"]

    def stats(self):
        return requests.get(f"{self.url}/_sim/stats", timeout=5).json()

    def reset(self):
        requests.post(f"{self.url}/_sim/reset", timeout=5).raise_for_status()


@pytest.fixture
def booking(app, booking_url, monkeypatch):
    """The simulator, reset, and the app pointed at it (no retries' pauses)."""
    control = BookingControl(booking_url)
    control.reset()
    monkeypatch.setitem(app.config, "BOOKING_API_URL", booking_url)
    monkeypatch.setitem(app.config, "BOOKING_API_TIMEOUT", "2")
    monkeypatch.setattr(booking_adapter, "BACKOFF_FACTOR", 0)
    yield control
    control.reset()


@pytest.fixture
def make_user(app):
    def make(username, role=Role.CENTRE_STAFF, centre_code=GENT):
        options = {"centre_code": centre_code} if role == Role.CENTRE_STAFF else {}
        if role == Role.DOCTOR:
            options["riziv_number"] = "10000000000"
        with app.app_context():
            user = users.create_user(username, PASSWORD, role, **options)
            user_id = user.id
            db.session.remove()
        return user_id

    return make


@pytest.fixture
def staff_client(app, make_user):
    """A client logged in as staff of the Ghent centre (or `role`)."""

    def login(role=Role.CENTRE_STAFF, centre_code=GENT, lang="nl"):
        username = f"user{next(_numbers)}@lmb.test"
        make_user(username, role, centre_code)
        client = app.test_client()
        client.set_cookie("lang", lang)
        response = client.post(
            "/staff/login", data={"username": username, "password": PASSWORD}
        )
        assert response.status_code in (302, 303), response.status_code
        return client

    return login


def local_today():
    return availability.local_now().date()


def centre_id(code=GENT):
    return db.session.scalar(db.select(Centre.id).filter_by(code=code))


@pytest.fixture
def make_moment(app):
    """Announce a moment straight through the service; return its id."""

    def make(code=GENT, days=1, start=time(15), end=time(19), slots=10):
        with app.app_context():
            moment = direct.announce_moment(
                centre_id=centre_id(code),
                day=local_today() + timedelta(days=days),
                start_time=start,
                end_time=end,
                slots=slots,
                created_by_id=None,
                now=datetime.now(UTC),
            )
            db.session.commit()
            moment_id = moment.id
            db.session.remove()
        return moment_id

    return make
