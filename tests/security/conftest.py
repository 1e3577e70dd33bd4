"""Fixtures of the security tests: staff accounts, clients with an address
of their own, a limited app, and registered people."""

import itertools

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Entry
from jobs import eligibility as eligibility_jobs
from tests.auth.conftest import make_user  # noqa: F401 - a fixture
from tests.citizen.test_registration import form

_addresses = itertools.count(1)


def new_address():
    """An address no other client of the run uses, so per-address limits
    count one test's requests only."""
    number = next(_addresses)
    return f"10.88.{number // 250}.{number % 250 + 1}"


@pytest.fixture
def new_client():
    """new_client(app) -> a test client with an address of its own."""

    def make(app):
        test_client = app.test_client()
        test_client.environ_base["REMOTE_ADDR"] = new_address()
        return test_client

    return make


@pytest.fixture
def limited_app(make_app):
    """An app with every rate limit on, as in production."""
    return make_app(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=True)


def register(client, **overrides):
    """Register through the form; the id of the entry and the status path."""
    response = client.post("/nl/register", data=form(**overrides))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def register_and_check(client, **overrides):
    """Register and run the eligibility check; the Entry."""
    register(client, **overrides)
    entry_id = db.session.scalar(select(Entry.id).order_by(Entry.id.desc()))
    eligibility_jobs.check_entry(entry_id)
    db.session.expire_all()
    return db.session.get(Entry, entry_id)


@pytest.fixture
def production_app(test_environ):
    """The app as LMB_ENV=production builds it (own secrets, same database
    and Redis). The process-wide encryption keys are put back afterwards."""
    from cryptography.fernet import Fernet

    import config
    from app import create_app, crypto

    environ = dict(
        test_environ,
        LMB_ENV="production",
        SECRET_KEY="a-production-secret-key-of-at-least-32-characters",
        DATA_KEYS=Fernet.generate_key().decode(),
        LOOKUP_HASH_KEY="a-production-lookup-secret",
    )
    try:
        yield create_app({"WTF_CSRF_ENABLED": False}, environ=environ)
    finally:
        crypto.configure(config.DEV_DATA_KEY, config.DEV_LOOKUP_HASH_KEY)
