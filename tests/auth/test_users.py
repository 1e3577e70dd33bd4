"""The account service: validation, password rules, hashing, log-in, lock-out."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from app.extensions import db
from app.models import AuditEvent, Centre, Role, StaffUser
from app.services import users
from app.services.errors import DomainError
from tests.auth.conftest import PASSWORD, english

pytestmark = pytest.mark.usefixtures("app_ctx")

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LOGIN_FAILED = (
    "We could not log you in with this username and password. After several "
    "failed attempts an account is locked for 15 minutes."
)


def failure(call, *args, **kwargs):
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value.field, english(caught.value.message)


@pytest.mark.parametrize(
    ("password", "username", "expected"),
    [
        ("Abc-12345ab", "", "Choose a password of at least 12 characters."),
        ("x" * 1025, "", "This password is too long."),
        ("abcdefghijklmnop", "", "Mix at least two kinds of characters: small "
         "letters, capital letters, digits or other signs."),
        ("ABCDEFGHIJKLMNOP", "", "Mix at least two kinds of characters: small "
         "letters, capital letters, digits or other signs."),
        ("123456789012345", "", "Mix at least two kinds of characters: small "
         "letters, capital letters, digits or other signs."),
        ("Operator@LMB.test", "operator@lmb.test",
         "The password must not be your username."),
        ("jan.peeters2024", "jan.peeters2024@example.be",
         "The password must not be your username."),
        ("Password1234", "", "This password is too common; choose another one."),
        ("AZERTYUIOP123", "", "This password is too common; choose another one."),
    ],
)  # fmt: skip
def test_password_rules_refuse(app_ctx, password, username, expected):
    assert english(users.password_problem(password, username)) == expected


@pytest.mark.parametrize(
    "password", ["lmb-demo-password-2026", "Correct horse battery", "kort-maar-goed-1"]
)
def test_password_rules_accept(app_ctx, password):
    assert users.password_problem(password, "someone@lmb.test") is None


def test_password_is_stored_as_an_argon2id_hash(make_user):
    user = db.session.get(StaffUser, make_user())

    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in user.password_hash
    assert users.HASHER.verify(user.password_hash, PASSWORD)


def test_create_user_stores_the_account(make_user):
    user_id = make_user(
        "  Staff@LMB.test ", Role.CENTRE_STAFF, display_name=" Els Peeters "
    )

    user = db.session.get(StaffUser, user_id)
    centre = db.session.execute(
        sa.select(Centre).where(Centre.code == "vl-gent-flanders-expo")
    ).scalar_one()
    assert user.username == "staff@lmb.test"
    assert user.role == Role.CENTRE_STAFF
    assert user.centre_id == centre.id
    assert user.display_name == "Els Peeters"
    assert user.active is True
    assert user.failed_logins == 0
    assert user.riziv_number is None
    actions = db.session.execute(sa.select(AuditEvent.action)).scalars().all()
    assert actions == ["staff_account_created"]


def test_doctor_riziv_number_may_have_separators(make_user):
    user_id = make_user("doctor@lmb.test", Role.DOCTOR, riziv_number="1-23456-78-901")

    assert db.session.get(StaffUser, user_id).riziv_number == "12345678901"


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        (("x", PASSWORD, Role.OPERATOR), "username",
         "Enter a username of 3 to 254 characters: letters, digits and "
         ". _ @ + - only."),
        (("with space@lmb.test", PASSWORD, Role.OPERATOR), "username",
         "Enter a username of 3 to 254 characters: letters, digits and "
         ". _ @ + - only."),
        (("a@lmb.test", PASSWORD, "boss"), "role",
         "Unknown role; choose one of centre_staff, operator, doctor, agent, "
         "monitor."),
        (("a@lmb.test", PASSWORD, Role.CENTRE_STAFF), "centre",
         "Centre staff must belong to a centre."),
        (("a@lmb.test", PASSWORD, Role.CENTRE_STAFF, "nowhere"), "centre",
         "There is no centre with the code nowhere."),
        (("a@lmb.test", PASSWORD, Role.OPERATOR, "vl-gent-flanders-expo"),
         "centre", "Only centre staff belong to a centre."),
        (("a@lmb.test", PASSWORD, Role.DOCTOR), "riziv_number",
         "A doctor needs an RIZIV/INAMI number of 11 digits."),
        (("a@lmb.test", PASSWORD, Role.DOCTOR, None, "1234567890"),
         "riziv_number", "A doctor needs an RIZIV/INAMI number of 11 digits."),
        (("a@lmb.test", PASSWORD, Role.DOCTOR, None, "1234567890A"),
         "riziv_number", "A doctor needs an RIZIV/INAMI number of 11 digits."),
        (("a@lmb.test", PASSWORD, Role.AGENT, None, "12345678901"),
         "riziv_number", "Only doctors have an RIZIV/INAMI number."),
        (("a@lmb.test", "short", Role.AGENT), "password",
         "Choose a password of at least 12 characters."),
        (("a@lmb.test", PASSWORD, Role.AGENT, None, None, "n" * 201),
         "display_name", "This name is too long."),
    ],
)  # fmt: skip
def test_create_user_refuses(app_ctx, arguments, field, message):
    assert failure(users.create_user, *arguments) == (field, message)
    assert db.session.execute(sa.select(sa.func.count(StaffUser.id))).scalar() == 0


def test_usernames_are_unique_whatever_the_letter_case(make_user):
    make_user("staff@lmb.test")

    assert failure(users.create_user, "STAFF@lmb.Test", PASSWORD, Role.AGENT) == (
        "username",
        "An account with this username already exists.",
    )


def test_authenticate_returns_the_user_and_notes_the_log_in(make_user):
    user_id = make_user("operator@lmb.test")

    user = users.authenticate("Operator@LMB.test ", PASSWORD, NOW)

    assert user.id == user_id
    assert user.last_login_at == NOW
    assert user.failed_logins == 0
    actions = db.session.execute(
        sa.select(AuditEvent.action).order_by(AuditEvent.id)
    ).scalars()
    assert list(actions) == ["staff_account_created", "staff_login"]


def test_unknown_user_and_wrong_password_fail_alike(make_user):
    make_user("operator@lmb.test")

    unknown = failure(users.authenticate, "nobody@lmb.test", PASSWORD, NOW)
    wrong = failure(users.authenticate, "operator@lmb.test", "Wrong password 1", NOW)

    assert unknown == wrong == ("password", LOGIN_FAILED)


def test_unknown_user_still_costs_one_password_verification(app_ctx, monkeypatch):
    checked = []
    real_verify = users._verify
    monkeypatch.setattr(
        users, "_verify", lambda h, p: checked.append(h) or real_verify(h, p)
    )

    failure(users.authenticate, "nobody@lmb.test", PASSWORD, NOW)

    assert len(checked) == 1
    assert checked[0].startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_five_failures_lock_the_account_for_fifteen_minutes(make_user):
    user_id = make_user("operator@lmb.test")
    for minute in range(5):
        failure(
            users.authenticate,
            "operator@lmb.test",
            "Wrong password 1",
            NOW + timedelta(minutes=minute),
        )
    locked_at = NOW + timedelta(minutes=4)

    user = db.session.get(StaffUser, user_id)
    assert user.locked_until == locked_at + timedelta(minutes=15)
    just_before = locked_at + timedelta(minutes=14, seconds=59)
    assert failure(users.authenticate, "operator@lmb.test", PASSWORD, just_before) == (
        "password",
        LOGIN_FAILED,
    )
    unlocked = users.authenticate(
        "operator@lmb.test", PASSWORD, locked_at + timedelta(minutes=15)
    )
    assert unlocked.id == user_id
    assert unlocked.locked_until is None
    actions = db.session.execute(
        sa.select(AuditEvent.action).order_by(AuditEvent.id)
    ).scalars()
    assert list(actions) == [
        "staff_account_created",
        *["staff_login_failed"] * 4,
        "staff_locked",
        "staff_login",
    ]


def test_a_successful_log_in_resets_the_failure_count(make_user):
    user_id = make_user("operator@lmb.test")
    for _ in range(4):
        failure(users.authenticate, "operator@lmb.test", "Wrong password 1", NOW)
    users.authenticate("operator@lmb.test", PASSWORD, NOW)
    for _ in range(4):
        failure(users.authenticate, "operator@lmb.test", "Wrong password 1", NOW)

    user = db.session.get(StaffUser, user_id)
    assert user.failed_logins == 4
    assert user.locked_until is None
    assert users.authenticate("operator@lmb.test", PASSWORD, NOW).id == user_id


def test_deactivated_account_cannot_log_in(make_user):
    user_id = make_user("operator@lmb.test")

    users.deactivate(user_id, NOW)

    assert failure(users.authenticate, "operator@lmb.test", PASSWORD, NOW) == (
        "password",
        LOGIN_FAILED,
    )
    assert db.session.get(StaffUser, user_id).active is False


def test_set_password_replaces_the_old_one_and_lifts_a_lock(make_user):
    user_id = make_user("operator@lmb.test")
    for _ in range(5):
        failure(users.authenticate, "operator@lmb.test", "Wrong password 1", NOW)

    users.set_password(user_id, "Another good one 2", NOW)

    assert failure(users.authenticate, "operator@lmb.test", PASSWORD, NOW) == (
        "password",
        LOGIN_FAILED,
    )
    assert users.authenticate("operator@lmb.test", "Another good one 2", NOW).id == (
        user_id
    )


def test_set_password_applies_the_password_rules(make_user):
    user_id = make_user("operator@lmb.test")

    assert failure(users.set_password, user_id, "operator@lmb.test", NOW) == (
        "password",
        "The password must not be your username.",
    )


def test_old_hash_parameters_are_upgraded_at_log_in(make_user):
    user_id = make_user("operator@lmb.test")
    user = db.session.get(StaffUser, user_id)
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    user.password_hash = old.hash(PASSWORD)
    db.session.commit()

    users.authenticate("operator@lmb.test", PASSWORD, NOW)

    db.session.expire_all()
    upgraded = db.session.get(StaffUser, user_id).password_hash
    assert upgraded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert users.HASHER.verify(upgraded, PASSWORD)
