"""Fixtures for staff accounts: a client with an address of its own, accounts."""

import itertools
import re

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.models import Role
from app.services import users

PASSWORD = "Correct horse battery 9"
_addresses = itertools.count(1)


def english(message):
    """A lazy service message as the English source text."""
    with force_locale("en"):
        return str(message)


@pytest.fixture
def client(app):
    """A test client with an address no other test uses, so the per-address
    rate limit of the log-in form counts this test's posts only."""
    number = next(_addresses)
    test_client = app.test_client()
    address = f"10.77.{number // 250}.{number % 250 + 1}"
    test_client.environ_base["REMOTE_ADDR"] = address
    return test_client


@pytest.fixture
def make_user(app):
    """Create an account and return its id:
    make_user("staff@lmb.test", Role.CENTRE_STAFF, display_name=...).

    It uses an app context of its own: a test that makes requests must not
    hold one, or every request would share it (and Flask-Login's user in g).
    """

    def make(username="operator@lmb.test", role=Role.OPERATOR, **options):
        if role == Role.CENTRE_STAFF:
            options.setdefault("centre_code", "vl-gent-flanders-expo")
        if role == Role.DOCTOR:
            options.setdefault("riziv_number", "10000000000")
        password = options.pop("password", PASSWORD)
        with app.app_context():
            user = users.create_user(username, password, role, **options)
            user_id = user.id
            db.session.remove()
        return user_id

    return make


def change(app, function, *args):
    """Call a service in an app context of its own."""
    with app.app_context():
        try:
            return function(*args)
        finally:
            db.session.remove()


@pytest.fixture
def fresh_app(make_app):
    """An app that has served no request yet, so tests can add routes to it."""
    built = []

    def make(**overrides):
        built.append(make_app(**overrides))
        return built[-1]

    yield make
    for app in built:
        with app.app_context():
            db.engine.dispose()


def log_in(client, username="operator@lmb.test", password=PASSWORD, **extra):
    return client.post(
        "/staff/login", data={"username": username, "password": password, **extra}
    )


def without_tokens(html):
    """A page without its CSRF tokens, which differ from one response to the next."""
    return re.sub(r"hx-headers='[^']*'", "", html)
