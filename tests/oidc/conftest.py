"""Fixtures for the OpenID Connect log-in tests: staff accounts."""

from tests.auth.conftest import make_user  # noqa: F401 - a fixture
