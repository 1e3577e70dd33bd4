"""`flask lmb create-user` and `flask lmb demo-users`."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Centre, Role, StaffUser, utcnow
from app.services import users
from tests.auth.conftest import PASSWORD

DEMO_PASSWORD = "lmb-demo-password-2026"


def accounts(app):
    with app.app_context():
        rows = db.session.execute(
            sa.select(StaffUser.username, StaffUser.role, Centre.code)
            .outerjoin(Centre, StaffUser.centre_id == Centre.id)
            .order_by(StaffUser.username)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def invoke(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["lmb", *args], input=input)


def test_create_user_reads_the_password_from_stdin(app):
    result = invoke(
        app,
        "create-user", "Staff@LMB.test", "--role", "centre_staff",
        "--centre", "vl-gent-flanders-expo", "--name", "Els Peeters",
        "--password-stdin",
        input=PASSWORD + "\n",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Created staff account ")
    assert result.output.endswith(" with role centre_staff.\n")
    assert "staff@lmb.test" not in result.output.lower()
    assert accounts(app) == [
        ("staff@lmb.test", Role.CENTRE_STAFF, "vl-gent-flanders-expo")
    ]


def test_create_user_asks_for_the_password_twice(app):
    result = invoke(
        app,
        "create-user", "doctor@lmb.test", "--role", "doctor",
        "--riziv", "1-23456-78-901",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Password: \nRepeat for confirmation: \n" in result.output
    assert PASSWORD not in result.output
    with app.app_context():
        assert users.authenticate("doctor@lmb.test", PASSWORD, utcnow()).role == (
            Role.DOCTOR
        )


def test_create_user_explains_what_is_wrong_in_english(app):
    unknown_centre = invoke(
        app, "create-user", "a@lmb.test", "--role", "centre_staff",
        "--centre", "nowhere", "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    weak = invoke(
        app, "create-user", "a@lmb.test", "--role", "operator",
        "--password-stdin", input="password1234\n",
    )  # fmt: skip
    bad_role = invoke(
        app, "create-user", "a@lmb.test", "--role", "boss",
        "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip

    assert unknown_centre.exit_code == 1
    assert unknown_centre.output == "Error: There is no centre with the code nowhere.\n"
    assert weak.exit_code == 1
    assert weak.output == "Error: This password is too common; choose another one.\n"
    assert bad_role.exit_code == 2
    assert accounts(app) == []


def test_create_user_refuses_a_second_account_with_the_same_name(app):
    first = invoke(
        app, "create-user", "op@lmb.test", "--role", "operator",
        "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    second = invoke(
        app, "create-user", "OP@lmb.test", "--role", "agent",
        "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip

    assert first.exit_code == 0
    assert second.exit_code == 1
    assert second.output == "Error: An account with this username already exists.\n"
    assert accounts(app) == [("op@lmb.test", Role.OPERATOR, None)]


def test_demo_users_are_made_once_in_development(app, fresh_app):
    # `app` too: its clean-up empties the tables after this test.
    development = fresh_app(LMB_ENV="development")

    first = invoke(development, "demo-users")
    second = invoke(development, "demo-users")

    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "Demo accounts: 5 created, 0 already present.",
        "Log in at http://127.0.0.1:5000/staff/login with one of:",
        "  operator@lmb.test    operator",
        "  staff@lmb.test       centre_staff",
        "  doctor@lmb.test      doctor",
        "  agent@lmb.test       agent",
        "  monitor@lmb.test     monitor",
        "Password of every demo account: lmb-demo-password-2026",
    ]
    assert second.output.splitlines()[0] == (
        "Demo accounts: 0 created, 5 already present."
    )
    assert accounts(development) == [
        ("agent@lmb.test", Role.AGENT, None),
        ("doctor@lmb.test", Role.DOCTOR, None),
        ("monitor@lmb.test", Role.MONITOR, None),
        ("operator@lmb.test", Role.OPERATOR, None),
        ("staff@lmb.test", Role.CENTRE_STAFF, "vl-gent-flanders-expo"),
    ]
    with development.app_context():
        for username, *_ in accounts(development):
            assert users.authenticate(username, DEMO_PASSWORD, utcnow())


def test_demo_users_are_refused_outside_development(app, fresh_app):
    production_like = fresh_app()
    production_like.config["LMB_ENV"] = "production"

    in_test = invoke(app, "demo-users")
    in_production = invoke(production_like, "demo-users")

    for result in (in_test, in_production):
        assert result.exit_code == 1
        assert result.output == (
            "Error: Demo accounts are only made when LMB_ENV is development.\n"
        )
    assert accounts(app) == []
