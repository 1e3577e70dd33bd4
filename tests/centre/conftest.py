"""Fixtures of the centre pages: staff accounts and logged-in clients.

A test that makes requests must not hold an app context of its own (every
request would share it, and Flask-Login's user with it): data is made and
read through `data`, which opens one for each call.
"""

import pytest

from app.extensions import db
from app.models import Role
from app.queue import QUEUE_NAMES, get_queue
from app.services import users

PASSWORD = "Correct horse battery 9"


@pytest.fixture
def data(app):
    """data(function, *args): call it in an app context of its own."""

    def call(function, *args, **kwargs):
        with app.app_context():
            try:
                return function(*args, **kwargs)
            finally:
                db.session.remove()

    with app.app_context():
        for name in QUEUE_NAMES:
            get_queue(name).empty()
    return call


@pytest.fixture
def make_user(data):
    def make(username, role=Role.CENTRE_STAFF, centre="vl-gent-flanders-expo"):
        options = {}
        if role == Role.CENTRE_STAFF:
            options["centre_code"] = centre
        if role == Role.DOCTOR:
            options["riziv_number"] = "10000000000"
        return data(lambda: users.create_user(username, PASSWORD, role, **options).id)

    return make


def log_in(client, username):
    response = client.post(
        "/staff/login", data={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


@pytest.fixture
def staff(app, make_user):
    """A client logged in as centre staff of Gent."""
    make_user("staff@lmb.test")
    return log_in(app.test_client(), "staff@lmb.test")


@pytest.fixture
def operator(app, make_user):
    make_user("operator@lmb.test", Role.OPERATOR, None)
    return log_in(app.test_client(), "operator@lmb.test")
