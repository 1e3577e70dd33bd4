"""Fixtures of the operators' pages: staff accounts, a logged-in client."""

import itertools

import pytest
from bs4 import BeautifulSoup

from app.extensions import db
from app.models import Role
from app.services import users
from tests.admin import dataset

PASSWORD = dataset.PASSWORD
_addresses = itertools.count(1)


@pytest.fixture
def client(app):
    """A client with an address of its own (log-ins are rate limited per address)."""
    number = next(_addresses)
    test_client = app.test_client()
    test_client.environ_base["REMOTE_ADDR"] = (
        f"10.78.{number // 250}.{number % 250 + 1}"
    )
    return test_client


@pytest.fixture
def make_user(app):
    def make(username, role, **options):
        with app.app_context():
            user = users.create_user(username, PASSWORD, role, **options)
            user_id = user.id
            db.session.remove()
        return user_id

    return make


@pytest.fixture
def login(client, make_user):
    """Create an account with `role` and log the client in with it."""

    def log_in(role, centre_code=None, username=None):
        options = {"centre_code": centre_code} if centre_code else {}
        username = username or f"{role.replace('_', '-')}@lmb.test"
        make_user(username, role, **options)
        response = client.post(
            "/staff/login", data={"username": username, "password": PASSWORD}
        )
        assert response.status_code in (302, 303), response.status_code
        return client

    return log_in


@pytest.fixture
def data(app):
    with app.app_context():
        built = dataset.build()
        db.session.remove()
    return built


def page(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


OPERATOR, MONITOR, STAFF = Role.OPERATOR, Role.MONITOR, Role.CENTRE_STAFF


@pytest.fixture(autouse=True)
def _forget_cached_figures(app):
    """Cached public figures, probes and call counters of earlier tests."""
    from app.queue import redis_connection

    prefix = app.config["RQ_QUEUE_PREFIX"]
    connection = redis_connection(app.config["REDIS_URL"])
    for pattern in (f"{prefix}:figures:*", f"{prefix}:mon:*", f"{prefix}:heartbeat:*"):
        for key in connection.scan_iter(match=pattern, count=500):
            connection.delete(key)
    yield
