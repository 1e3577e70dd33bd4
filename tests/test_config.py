"""Settings: documented, parsed, and refused when unsafe in production."""

import re
from pathlib import Path

import pytest

import config

README = Path(__file__).resolve().parent.parent / "README.md"


def production(**extra):
    environ = {
        "LMB_ENV": "production",
        "SECRET_KEY": "k" * 40,
        "DATA_KEYS": "cHJvZHVjdGlvbi1rZXktb2YtMzItYnl0ZXMtLS0tLS0=",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "LOOKUP_HASH_KEY": "a-production-lookup-secret",
    }
    environ.update(extra)
    return environ


def test_production_starts_with_real_secrets():
    values = config.flask_config(production())

    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["DEV_PAGES"] is False


@pytest.mark.parametrize(
    "extra",
    [
        {"SECRET_KEY": config.DEV_SECRET_KEY},
        {"SECRET_KEY": ""},
        {"SECRET_KEY": "short"},
        {"DATA_KEYS": config.DEV_DATA_KEY},
        {"REDIS_URL": ""},
        {"LOOKUP_HASH_KEY": config.DEV_LOOKUP_HASH_KEY},
    ],
)
def test_production_refuses_development_or_missing_secrets(extra):
    with pytest.raises(RuntimeError):
        config.flask_config(production(**extra))


def test_a_malformed_number_is_a_clear_error():
    with pytest.raises(RuntimeError, match="MAIL_PORT"):
        config.read_settings({"MAIL_PORT": "twenty-five"})


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="LMB_ENV"):
        config.flask_config({"LMB_ENV": "staging"})


def test_postgres_urls_use_psycopg3():
    assert (
        config.normalise_database_url("postgresql://u@h/db")
        == "postgresql+psycopg://u@h/db"
    )
    assert config.normalise_database_url("sqlite:///x") == "sqlite:///x"


def test_readme_documents_every_setting():
    text = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", text, flags=re.M))

    assert documented == {setting.name for setting in config.SETTINGS}
