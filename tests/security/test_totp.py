"""The staff second factor: log-in with a code, enrolment, the command line,
and operators who must enrol before using the staff pages."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from app.auth import totp as totp_views
from app.extensions import db
from app.models import AuditEvent, Role, StaffUser
from app.services import totp
from tests.auth.conftest import PASSWORD, log_in

# RFC 6238, appendix B: the SHA-1 secret "12345678901234567890" in base32.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def at(seconds):
    return datetime.fromtimestamp(seconds, UTC)


def test_codes_of_the_rfc_6238_test_vectors():
    # The RFC lists 8-digit codes; a 6-digit code is their last six digits.
    assert totp.code_at(RFC_SECRET, at(59)) == "287082"  # 94287082
    assert totp.code_at(RFC_SECRET, at(1111111109)) == "081804"  # 07081804
    assert totp.code_at(RFC_SECRET, at(1234567890)) == "005924"  # 89005924


def test_a_code_counts_one_step_before_and_after_but_not_two():
    now = at(1111111109)  # time step 37037036

    assert totp.matching_step(RFC_SECRET, "081804", now) == 37037036
    assert totp.matching_step(RFC_SECRET, "081 804", now + timedelta(seconds=30)) == (
        37037036
    )
    assert totp.matching_step(RFC_SECRET, "081804", now - timedelta(seconds=30)) == (
        37037036
    )
    assert totp.matching_step(RFC_SECRET, "081804", now + timedelta(seconds=65)) is None
    for typed in ("", "81804", "0818045", "abcdef", None, ["081804"], "٠٨١٨٠٤"):
        assert totp.matching_step(RFC_SECRET, typed, now) is None


def test_enrolment_secret_and_uri():
    secret = totp.new_secret()

    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert totp.grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"
    uri = urlsplit(totp.provisioning_uri(secret, "op@lmb.test"))
    assert (uri.scheme, uri.netloc, uri.path) == (
        "otpauth",
        "totp",
        "/LMB:op%40lmb.test",
    )
    assert parse_qs(uri.query) == {"secret": [secret], "issuer": ["LMB"]}


def with_totp(app, user_id, secret=RFC_SECRET):
    with app.app_context():
        totp.enable(user_id, secret, datetime.now(UTC))
        db.session.remove()


def audit_actions(app, user_id):
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.actor_id == user_id)
            .order_by(AuditEvent.id)
        ).all()
        db.session.remove()
    return actions


def current_code(secret=RFC_SECRET):
    return totp.code_at(secret, datetime.now(UTC))


def logged_in(client):
    """Whether the client's session is a staff member's (the enrolment page
    is for every logged-in role)."""
    return client.get("/staff/totp").status_code == 200


def test_password_alone_does_not_log_in_an_account_with_a_second_factor(
    app, make_user, new_client
):
    client = new_client(app)
    with_totp(app, make_user("op@lmb.test", Role.OPERATOR))

    response = log_in(client, "op@lmb.test", next="/staff/totp")

    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/login/code"
    assert not logged_in(client)
    page = BeautifulSoup(client.get("/staff/login/code").text, "html.parser")
    assert page.find("input", attrs={"name": "code"})["autocomplete"] == "one-time-code"


def test_the_right_code_logs_in_and_goes_to_next(app, make_user, new_client):
    client = new_client(app)
    user_id = make_user("op@lmb.test", Role.OPERATOR)
    with_totp(app, user_id)
    log_in(client, "op@lmb.test", next="/staff/totp")

    response = client.post("/staff/login/code", data={"code": current_code()})

    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/totp"
    assert logged_in(client)
    assert audit_actions(app, user_id) == [
        "staff_account_created",
        "staff_totp_enabled",
        "staff_login",  # the password step
        "staff_totp_passed",
    ]


def test_a_code_works_only_once(app, make_user, new_client, limited_app):
    first, second = new_client(limited_app), new_client(limited_app)
    with_totp(app, make_user("op@lmb.test", Role.OPERATOR))
    code = current_code()
    log_in(first, "op@lmb.test")
    log_in(second, "op@lmb.test")

    assert first.post("/staff/login/code", data={"code": code}).status_code == 303
    replay = second.post("/staff/login/code", data={"code": code})

    assert replay.status_code == 422
    assert "Deze code klopt niet." in replay.text
    assert not logged_in(second)


def test_wrong_codes_lock_the_account(app, make_user, new_client, limited_app):
    client = new_client(limited_app)
    user_id = make_user("op@lmb.test", Role.OPERATOR)
    with_totp(app, user_id)
    wrong = f"{(int(current_code()) + 500000) % 1000000:06d}"
    log_in(client, "op@lmb.test")

    answers = [
        client.post("/staff/login/code", data={"code": wrong}).status_code
        for _ in range(6)
    ]

    assert answers == [422] * 5 + [303]
    assert audit_actions(app, user_id)[-6:] == ["staff_totp_failed"] * 5 + [
        "staff_locked"
    ]
    # Locked: even the right password and code no longer open it.
    refused = log_in(client, "op@lmb.test")
    assert refused.status_code == 422
    assert client.get("/staff/login/code").headers["Location"] == "/staff/login"


def test_the_code_step_expires_after_five_minutes(
    app, make_user, new_client, monkeypatch
):
    client = new_client(app)
    with_totp(app, make_user("op@lmb.test", Role.OPERATOR))
    log_in(client, "op@lmb.test")
    later = totp_views.time.time() + totp_views.PENDING_SECONDS + 1
    monkeypatch.setattr(totp_views.time, "time", lambda: later)

    response = client.post("/staff/login/code", data={"code": current_code()})

    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/login"
    assert not logged_in(client)


def test_the_code_page_without_a_password_first_goes_back(app, new_client):
    client = new_client(app)

    assert client.get("/staff/login/code").headers["Location"] == "/staff/login"
    response = client.post("/staff/login/code", data={"code": "123456"})
    assert response.headers["Location"] == "/staff/login"


def test_enrolment_shows_the_secret_and_switches_on_with_a_code(
    app, make_user, new_client
):
    client = new_client(app)
    user_id = make_user("staff@lmb.test", Role.CENTRE_STAFF)
    log_in(client, "staff@lmb.test")

    page = BeautifulSoup(client.get("/staff/totp").text, "html.parser")
    secret = page.find(id="totp-secret").get_text().replace(" ", "")
    uri = page.find("details").code.get_text()
    assert parse_qs(urlsplit(uri).query)["secret"] == [secret]
    assert page.find("svg") is not None
    # The same secret until it is confirmed (the page may be reloaded).
    again = BeautifulSoup(client.get("/staff/totp").text, "html.parser")
    assert again.find(id="totp-secret").get_text().replace(" ", "") == secret

    wrong = client.post("/staff/totp", data={"code": "000000"})
    assert wrong.status_code == 422
    right = client.post("/staff/totp", data={"code": current_code(secret)})

    assert right.status_code == 303
    with app.app_context():
        assert db.session.get(StaffUser, user_id).totp_secret == secret
        stored = db.session.execute(
            sa.text("SELECT totp_secret FROM staff_user WHERE id = :id"),
            {"id": user_id},
        ).scalar_one()
        assert secret not in stored  # encrypted at rest
        db.session.remove()
    assert "Aanmelden in twee stappen staat aan" in client.get("/staff/totp").text
    client.post("/staff/logout")
    assert log_in(client, "staff@lmb.test").headers["Location"] == "/staff/login/code"


def test_create_user_with_totp_prints_the_secret(app):
    result = app.test_cli_runner().invoke(
        args=[
            "lmb", "create-user", "op@lmb.test", "--role", "operator",
            "--password-stdin", "--totp",
        ],
        input=PASSWORD + "\n",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    key_line, uri_line = result.output.splitlines()[-2:]
    secret = key_line.strip().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert parse_qs(urlsplit(uri_line.strip()).query)["secret"] == [secret]
    with app.app_context():
        user = db.session.scalars(sa.select(StaffUser)).one()
        assert user.totp_secret == secret
        db.session.remove()

    reset = app.test_cli_runner().invoke(args=["lmb", "reset-totp", "OP@lmb.test"])
    assert reset.exit_code == 0, reset.output
    with app.app_context():
        assert db.session.scalars(sa.select(StaffUser)).one().totp_secret is None
        db.session.remove()


@pytest.fixture
def strict_app(make_app):
    """Development pages on, and operators obliged to have a second factor
    (production's rule)."""
    return make_app(WTF_CSRF_ENABLED=False, TOTP_REQUIRED_ROLES=("operator",))


def test_an_operator_must_enrol_before_using_staff_pages(
    strict_app, make_user, new_client
):
    client = new_client(strict_app)
    make_user("op@lmb.test", Role.OPERATOR)
    log_in(client, "op@lmb.test")

    refused = client.get("/dev/mail")
    assert refused.status_code == 303
    assert refused.headers["Location"] == "/staff/totp"
    secret = BeautifulSoup(client.get("/staff/totp").text, "html.parser")
    secret = secret.find(id="totp-secret").get_text().replace(" ", "")
    client.post("/staff/totp", data={"code": current_code(secret)})

    assert client.get("/dev/mail").status_code == 200


def test_in_production_operators_need_a_second_factor(make_app):
    from app.security import second_factor_roles

    development = make_app()
    with development.test_request_context():
        assert second_factor_roles() == ()
    development.config["LMB_ENV"] = "production"
    with development.test_request_context():
        assert second_factor_roles() == ("operator",)
