"""Role checks on views, and which centres a user may act on."""

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from app.auth.access import (
    centre_scope,
    require_centre_access,
    role_required,
    safe_next,
)
from app.extensions import db
from app.models import Centre, Role, StaffUser
from tests.auth.conftest import log_in


@pytest.fixture
def guarded(fresh_app):
    """An app with two test views: one for operators and monitors, and a
    centre page that checks the centre."""
    app = fresh_app(WTF_CSRF_ENABLED=False)

    @app.get("/test/reports")
    @role_required(Role.OPERATOR, Role.MONITOR)
    def reports():
        return "reports"

    @app.get("/test/centres/<int:centre_id>")
    @role_required(Role.CENTRE_STAFF, Role.OPERATOR)
    def centre_page(centre_id):
        require_centre_access(current_user, centre_id)
        return f"centre {centre_id}"

    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.79.0.1"
    return client


def centre_id(app, code):
    with app.app_context():
        return db.session.execute(
            sa.select(Centre.id).where(Centre.code == code)
        ).scalar_one()


def test_anonymous_visitor_is_sent_to_the_login_page(guarded):
    response = guarded.get("/test/reports?period=week")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/staff/login"
    assert parse_qs(location.query) == {"next": ["/test/reports?period=week"]}


def test_user_without_the_role_gets_403(guarded, make_user):
    make_user("doctor@lmb.test", Role.DOCTOR)
    log_in(guarded, "doctor@lmb.test")

    response = guarded.get("/test/reports", headers={"Accept-Language": "fr"})

    assert response.status_code == 403
    assert "<h1>Accès refusé</h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.MONITOR])
def test_user_with_the_role_gets_the_page(guarded, make_user, role):
    make_user("someone@lmb.test", role)
    log_in(guarded, "someone@lmb.test")

    response = guarded.get("/test/reports")

    assert response.status_code == 200
    assert response.get_data(as_text=True) == "reports"


def test_centre_staff_reach_only_their_own_centre(guarded, make_user):
    app = guarded.application
    own = centre_id(app, "vl-gent-flanders-expo")
    other = centre_id(app, "vl-antwerpen-spoor-oost")
    make_user("staff@lmb.test", Role.CENTRE_STAFF)
    log_in(guarded, "staff@lmb.test")

    assert guarded.get(f"/test/centres/{own}").status_code == 200
    assert guarded.get(f"/test/centres/{other}").status_code == 403


def test_operators_reach_every_centre(guarded, make_user):
    app = guarded.application
    other = centre_id(app, "vl-antwerpen-spoor-oost")
    make_user("operator@lmb.test", Role.OPERATOR)
    log_in(guarded, "operator@lmb.test")

    assert guarded.get(f"/test/centres/{other}").status_code == 200


def test_centre_scope_per_role(app_ctx, make_user):
    staff = db.session.get(StaffUser, make_user("staff@lmb.test", Role.CENTRE_STAFF))
    operator = db.session.get(StaffUser, make_user("op@lmb.test", Role.OPERATOR))
    doctor = db.session.get(StaffUser, make_user("doc@lmb.test", Role.DOCTOR))
    other = centre_id(current_app, "vl-antwerpen-spoor-oost")

    assert centre_scope(staff) == staff.centre_id
    assert centre_scope(operator) is None
    with pytest.raises(Forbidden):
        centre_scope(doctor)
    require_centre_access(staff, staff.centre_id)
    require_centre_access(operator, other)
    with pytest.raises(Forbidden):
        require_centre_access(staff, other)
    with pytest.raises(Forbidden):
        require_centre_access(doctor, other)


def test_role_required_rejects_unknown_roles():
    with pytest.raises(ValueError):
        role_required("boss")
    with pytest.raises(ValueError):
        role_required()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/centre/", "/centre/"),
        ("/admin/reports?week=2", "/admin/reports?week=2"),
        ("https://evil.example", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("/%09/evil.example", "/%09/evil.example"),
        ("/\t/evil.example", None),
        ("/\n/evil.example", None),
        ("javascript:alert(1)", None),
        ("", None),
        (None, None),
        ("/" + "a" * 2000, None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected
