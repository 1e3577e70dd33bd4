"""Every setting of the application, read from the environment.

`SETTINGS` lists each setting once, alphabetically, with its default and a
one-line meaning; the README's settings table is checked against it by a test.
`load_dotenv()` is called by the entry points (wsgi.py, scripts/run.py), never
here, so importing this module has no side effects.
"""

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"

DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"
# Fernet key for development and tests only; production refuses it.
DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktMzItYnl0ZXMtbG9uZyE="
DEV_LOOKUP_HASH_KEY = "dev-only-lookup-hash-key"


def _text(value):
    return value


def _flag(value):
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    meaning: str
    parse: object = _text


SETTINGS = (
    Setting(
        "BOOKING_API_CLIENT_CERT",
        None,
        "Client certificate (PEM) for the regular booking system's API.",
    ),
    Setting("BOOKING_API_CLIENT_KEY", None, "Key of that client certificate."),
    Setting("BOOKING_API_TIMEOUT", 5.0, "Booking system API timeout, seconds.", float),
    Setting("BOOKING_API_TOKEN", None, "Bearer token for the booking system's API."),
    Setting(
        "BOOKING_API_URL",
        "http://127.0.0.1:5102",
        "Booking system API base URL, told of direct-slot invitations (the "
        "simulator by default).",
    ),
    Setting(
        "BOOKING_CALLBACK_TOKEN",
        None,
        "Bearer token the booking system sends to POST /centre/api/bookings; "
        "the endpoint answers 404 when unset.",
    ),
    Setting(
        "BOOKING_SYSTEM_URL",
        "https://booking.example.be",
        "Link to the regular booking system, put in invitations.",
    ),
    Setting(
        "DATA_KEYS",
        DEV_DATA_KEY,
        "Fernet keys encrypting personal data at rest, newest first, comma "
        "separated (see Key rotation).",
    ),
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL of the database; SQLite in instance/lmb.sqlite3 when unset.",
    ),
    Setting("LMB_ENV", "development", "development, test or production."),
    Setting("LOG_LEVEL", "INFO", "Level of the application's log lines."),
    Setting(
        "LOOKUP_HASH_KEY",
        DEV_LOOKUP_HASH_KEY,
        "Secret of the keyed hash that finds a national number; never rotated.",
    ),
    Setting("MAIL_FROM", "LMB <noreply@lmb.example.be>", "Sender of e-mails."),
    Setting("MAIL_HOST", "127.0.0.1", "SMTP relay host (the development sink)."),
    Setting("MAIL_PASSWORD", None, "SMTP password, if the relay needs one."),
    Setting("MAIL_PORT", 8025, "SMTP relay port.", int),
    Setting("MAIL_TIMEOUT", 10.0, "SMTP timeout in seconds.", float),
    Setting("MAIL_USERNAME", None, "SMTP user name, if the relay needs one."),
    Setting("MAIL_USE_SSL", False, "Connect to the relay with TLS.", _flag),
    Setting("MAIL_USE_TLS", False, "Upgrade the relay connection (STARTTLS).", _flag),
    Setting(
        "MAILDIR",
        None,
        "Folder of the development SMTP sink; instance/mail when unset.",
    ),
    Setting(
        "METRICS_TOKEN",
        None,
        "Bearer token that GET /metrics requires; /metrics answers 404 when unset.",
    ),
    Setting(
        "OIDC_CLIENT_ID",
        None,
        "Client id of LMB at the doctors' OpenID Connect identity provider.",
    ),
    Setting("OIDC_CLIENT_SECRET", None, "Client secret of LMB at that provider."),
    Setting(
        "OIDC_ENABLED",
        False,
        "Let doctors log in through an OpenID Connect identity provider.",
        _flag,
    ),
    Setting(
        "OIDC_ISSUER",
        None,
        "Issuer URL of that provider; its discovery document is read from "
        "ISSUER/.well-known/openid-configuration.",
    ),
    Setting(
        "OIDC_RIZIV_CLAIM",
        "nihii",
        "Claim of the ID token or userinfo that carries the doctor's RIZIV/INAMI "
        "number.",
    ),
    Setting(
        "OIDC_SCOPES",
        "openid profile",
        "Scopes asked of that provider, space separated; openid is required.",
    ),
    Setting(
        "PROXY_COUNT",
        0,
        "Reverse proxies in front of the app whose X-Forwarded-For is trusted.",
        int,
    ),
    Setting(
        "PUBLIC_BASE_URL",
        "http://127.0.0.1:5000",
        "Address of the service as people reach it, used in links in messages.",
    ),
    Setting(
        "RATELIMIT_PUBLIC_FORMS",
        "20 per minute;200 per day",
        "Limit on posts of each public form, per client address.",
    ),
    Setting(
        "RATELIMIT_FORM_EDITS",
        "120 per minute;2000 per day",
        "Limit on posts that only change a public form without JavaScript "
        "(calendar buttons, showing the centres, adding or removing a person), "
        "per client address.",
    ),
    Setting(
        "REDIS_URL",
        None,
        "Redis for queues and rate limits; make run starts an embedded one when unset.",
    ),
    Setting(
        "RETENTION_AFTER_BOOKING_DAYS",
        3,
        "Days after a booking through the list before the people's data is erased.",
        int,
    ),
    Setting(
        "RETENTION_AFTER_LAPSE_DAYS",
        30,
        "Days after availability ran out, not renewed, before the data is erased.",
        int,
    ),
    Setting(
        "RQ_QUEUE_PREFIX",
        "lmb",
        "Prefix of queue names and job ids, so deployments can share a Redis.",
    ),
    Setting(
        "SECRET_KEY",
        DEV_SECRET_KEY,
        "Signs sessions and links; production refuses the development value.",
    ),
    Setting("SMS_ENABLED", False, "Also send invitations by SMS.", _flag),
    Setting("SMS_TIMEOUT", 5.0, "SMS gateway timeout in seconds.", float),
    Setting("SMS_TOKEN", None, "Bearer token for the SMS gateway."),
    Setting("SMS_URL", "http://127.0.0.1:5103", "SMS gateway base URL."),
    Setting(
        "VCDB_CLIENT_CERT",
        None,
        "Client certificate (PEM) for the vaccination code database.",
    ),
    Setting("VCDB_CLIENT_KEY", None, "Key of that client certificate."),
    Setting("VCDB_RETRIES", 2, "Retries of a failed vaccination code call.", int),
    Setting("VCDB_TIMEOUT", 5.0, "Vaccination code database timeout, seconds.", float),
    Setting("VCDB_TOKEN", None, "Bearer token for the vaccination code database."),
    Setting(
        "VCDB_URL",
        "http://127.0.0.1:5101",
        "Vaccination code database base URL (the simulator by default).",
    ),
)


def read_settings(environ=None):
    """Return a dict of every setting, parsed, from `environ` (os.environ)."""
    environ = os.environ if environ is None else environ
    values = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        if raw in (None, ""):
            values[setting.name] = setting.default
        else:
            try:
                values[setting.name] = setting.parse(raw)
            except ValueError as exc:
                raise RuntimeError(f"{setting.name} has an invalid value.") from exc
    if values["DATABASE_URL"] is None:
        values["DATABASE_URL"] = "sqlite:///" + str(INSTANCE_DIR / "lmb.sqlite3")
    if values["MAILDIR"] is None:
        values["MAILDIR"] = str(INSTANCE_DIR / "mail")
    return values


def normalise_database_url(url):
    """Let `postgresql://` URLs use the psycopg 3 driver pinned in requirements."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def limits_storage_url(redis_url):
    """Flask-Limiter's spelling of the Redis URL (it names unix sockets apart)."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://") :]
    return redis_url


def flask_config(environ=None, overrides=None):
    """Everything Flask needs, as one mapping: settings plus fixed options."""
    values = read_settings(environ)
    values.update(overrides or {})
    environment = values["LMB_ENV"]
    if environment not in ("development", "test", "production"):
        raise RuntimeError("LMB_ENV must be development, test or production.")
    values.update(
        BABEL_DEFAULT_LOCALE="nl",
        BABEL_DEFAULT_TIMEZONE="Europe/Brussels",
        BABEL_TRANSLATION_DIRECTORIES=str(BASE_DIR / "translations"),
        LANGUAGES=("nl", "fr", "de"),
        DEV_PAGES=environment != "production",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Staff sessions end after 8 idle hours; each request renews them.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        SESSION_REFRESH_EACH_REQUEST=True,
        SQLALCHEMY_DATABASE_URI=normalise_database_url(values["DATABASE_URL"]),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=limits_storage_url(values["REDIS_URL"]),
        RATELIMIT_HEADERS_ENABLED=True,
        # A moving window: no double burst across a minute boundary.
        RATELIMIT_STRATEGY="moving-window",
        RATELIMIT_KEY_PREFIX=values["RQ_QUEUE_PREFIX"] + "-limits",
    )
    if environment == "test":
        values["TESTING"] = True
    if environment == "production":
        values.update(
            SESSION_COOKIE_SECURE=True,
            REMEMBER_COOKIE_SECURE=True,
            PREFERRED_URL_SCHEME="https",
        )
        check_production(values)
    values.update(overrides or {})
    return values


def check_production(values):
    """Refuse to start a production deployment with development secrets."""
    if values["SECRET_KEY"] == DEV_SECRET_KEY or len(values["SECRET_KEY"]) < 32:
        raise RuntimeError(
            "SECRET_KEY must be a random value of at least 32 characters in "
            "production, not the development key."
        )
    if DEV_DATA_KEY in values["DATA_KEYS"].split(","):
        raise RuntimeError("DATA_KEYS must not contain the development key.")
    if values["LOOKUP_HASH_KEY"] == DEV_LOOKUP_HASH_KEY:
        raise RuntimeError("LOOKUP_HASH_KEY must be set in production.")
    if not values["REDIS_URL"]:
        raise RuntimeError("REDIS_URL must be set in production.")
