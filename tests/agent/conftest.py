"""Fixtures for the contact-centre pages: staff accounts and clients."""

from tests.auth.conftest import client, make_user  # noqa: F401 - fixtures
