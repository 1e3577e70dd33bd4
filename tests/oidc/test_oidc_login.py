"""Doctors logging in through an OpenID Connect provider (simulators/oidc.py),
driven through the real redirects: the Flask test client for LMB, requests
for the provider, and LMB itself calling the provider's token, JWKS and
userinfo endpoints over HTTP."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, StaffUser
from simulators.testing import SimulatorProcess
from tests.auth.conftest import PASSWORD

RIZIV = "10000000000"
CLIENT_ID = "lmb-test"
CLIENT_SECRET = "oidc-test-secret-1234"
BASE = "http://127.0.0.1:5000"  # PUBLIC_BASE_URL in the tests
CALLBACK = BASE + "/staff/oidc/callback"


@pytest.fixture(scope="module")
def provider():
    simulator = SimulatorProcess(
        "simulators.oidc",
        "--client-id", CLIENT_ID,
        "--client-secret", CLIENT_SECRET,
        "--redirect-uri", CALLBACK,
        "--riziv", RIZIV,
        "--riziv-claim", "nihii",
    )  # fmt: skip
    with simulator:
        yield simulator.url


@pytest.fixture
def idp(provider):
    """The provider's URL; its user is reset before and after each test."""
    requests.post(provider + "/_sim/reset", timeout=5).raise_for_status()
    yield provider
    requests.post(provider + "/_sim/reset", timeout=5).raise_for_status()


def set_user(idp, **claims):
    requests.post(idp + "/_sim/user", json=claims, timeout=5).raise_for_status()


@pytest.fixture
def oidc_app(app, make_app, idp):
    """An app with the OpenID Connect log-in switched on, pointing at `idp`."""
    built = make_app(
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=False,
        OIDC_ENABLED=True,
        OIDC_ISSUER=idp,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        PUBLIC_BASE_URL=BASE,
    )
    yield built
    with built.app_context():
        db.engine.dispose()


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def through_provider(client, idp, login_path="/staff/oidc/login"):
    """Start the log-in at LMB, let the provider approve, come back: return
    LMB's answer to the callback."""
    start = client.get(login_path)
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(idp + "/authorize?")
    asked = parse_qs(urlsplit(authorize).query)
    assert asked["redirect_uri"] == [CALLBACK]
    assert asked["code_challenge_method"] == ["S256"]
    assert "openid" in asked["scope"][0].split()
    assert asked["nonce"] and asked["state"]

    approved = requests.get(authorize, allow_redirects=False, timeout=5)
    assert approved.status_code == 302
    back = approved.headers["Location"]
    assert back.startswith(CALLBACK + "?")
    return client.get(back[len(BASE) :])


def audit_actions(app):
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        found = [(e.action, e.actor_id, e.detail) for e in rows]
        db.session.remove()
    return found


def test_a_doctor_logs_in_through_the_provider(oidc_app, idp, make_user):
    doctor_id = make_user("dr.claes@lmb.test", "doctor", riziv_number=RIZIV)
    client = oidc_app.test_client()

    done = through_provider(client, idp)

    assert done.status_code == 303
    assert done.headers["Location"] == "/doctor/"
    page = client.get("/doctor/")
    assert page.status_code == 200
    assert "dr.claes@lmb.test" in soup(page).find("nav", class_="staff-nav").get_text()
    assert ("staff_login", doctor_id, "oidc") in audit_actions(oidc_app)
    with oidc_app.app_context():
        assert db.session.get(StaffUser, doctor_id).last_login_at is not None
        db.session.remove()


def test_the_number_may_come_from_userinfo_only(oidc_app, idp, make_user):
    make_user("dr.claes@lmb.test", "doctor", riziv_number="1-00000-00-000")
    # The ID token carries only the name; LMB asks the userinfo endpoint.
    set_user(idp, sub="doctor-7", name="Dr. Claes", nihii=RIZIV,
             id_token_claims=["name"])  # fmt: skip
    client = oidc_app.test_client()

    done = through_provider(client, idp)

    assert done.status_code == 303
    assert client.get("/doctor/").status_code == 200


def test_the_log_in_keeps_a_local_next_page(oidc_app, idp, make_user):
    make_user("dr.claes@lmb.test", "doctor", riziv_number=RIZIV)
    client = oidc_app.test_client()

    done = through_provider(client, idp, "/staff/oidc/login?next=/doctor/patients/new")

    assert done.headers["Location"] == "/doctor/patients/new"


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("nl", "Er wordt geen account automatisch aangemaakt"),
        ("fr", "Aucun compte n’est créé automatiquement"),
        ("de", "Konten werden nicht automatisch angelegt"),
    ],
)
def test_no_doctor_account_for_the_number_is_refused_clearly(
    oidc_app,
    idp,
    make_user,
    lang,
    message,
):
    make_user("dr.claes@lmb.test", "doctor", riziv_number=RIZIV)
    set_user(idp, sub="doctor-9", name="Dr. Nobody", nihii="19999999999")
    client = oidc_app.test_client()
    client.set_cookie("lang", lang)

    refused = through_provider(client, idp)

    assert refused.status_code == 403
    assert message in soup(refused).find("main").get_text()
    assert client.get("/doctor/").status_code == 302  # not logged in
    assert ("staff_login_refused", None, "oidc: no doctor account") in audit_actions(
        oidc_app
    )
    with oidc_app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(StaffUser)) == 1
        db.session.remove()


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "doctor-2", "name": "No number"},
        {"sub": "doctor-3", "nihii": "not a number"},
    ],
)
def test_a_missing_or_malformed_number_is_refused(
    oidc_app,
    idp,
    make_user,
    claims,
):
    make_user("dr.claes@lmb.test", "doctor", riziv_number=RIZIV)
    set_user(idp, **claims)

    assert through_provider(oidc_app.test_client(), idp).status_code == 403


def test_other_roles_and_deactivated_doctors_are_not_matched(
    oidc_app,
    idp,
    make_user,
):
    doctor_id = make_user("dr.claes@lmb.test", "doctor", riziv_number=RIZIV)
    with oidc_app.app_context():
        db.session.get(StaffUser, doctor_id).active = False
        db.session.commit()
        db.session.remove()

    assert through_provider(oidc_app.test_client(), idp).status_code == 403


def test_a_forged_state_or_a_replayed_code_fails(oidc_app, idp, make_user):
    make_user("dr.claes@lmb.test", "doctor", riziv_number=RIZIV)
    client = oidc_app.test_client()
    start = client.get("/staff/oidc/login")
    approved = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    back = approved.headers["Location"][len(BASE) :]

    forged = client.get(back.replace("state=", "state=x"))
    assert forged.status_code == 400
    assert client.get("/doctor/").status_code == 302

    assert client.get(back).status_code == 303  # the real one works once
    other = oidc_app.test_client()
    other.get("/staff/oidc/login")
    assert other.get(back).status_code == 400  # a code from another session


def test_a_provider_that_is_down_gives_a_clear_page(
    app,
    make_app,
    make_user,
):
    from simulators.testing import free_port

    down = make_app(
        OIDC_ENABLED=True,
        OIDC_ISSUER=f"http://127.0.0.1:{free_port()}",
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
    )
    client = down.test_client()
    client.set_cookie("lang", "nl")

    response = client.get("/staff/oidc/login")

    assert response.status_code == 503
    assert "Aanmelden is niet gelukt" in soup(response).find("h1").get_text()


def test_switched_off_the_pages_do_not_exist(client):
    assert client.get("/staff/oidc/login").status_code == 404
    assert client.get("/staff/oidc/callback?code=x&state=y").status_code == 404
    page = soup(client.get("/staff/login"))
    assert page.find("a", href=lambda h: h and "/staff/oidc/" in h) is None


def test_the_log_in_page_offers_the_provider_when_switched_on(oidc_app):
    page = soup(oidc_app.test_client().get("/staff/login?next=/doctor/"))

    link = page.find("a", href="/staff/oidc/login?next=/doctor/")
    assert link is not None


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"OIDC_ISSUER": None}, "OIDC_ISSUER"),
        ({"OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET"),
        ({"OIDC_SCOPES": "profile"}, "openid"),
    ],
)
def test_an_incomplete_configuration_stops_the_start(make_app, settings, problem):
    complete = {
        "OIDC_ENABLED": True,
        "OIDC_ISSUER": "https://idp.example.be",
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
    }
    with pytest.raises(RuntimeError, match=problem):
        make_app(**{**complete, **settings})


def test_the_password_still_works_for_doctors(oidc_app, make_user):
    make_user("dr.claes@lmb.test", "doctor", riziv_number=RIZIV)
    client = oidc_app.test_client()

    response = client.post(
        "/staff/login", data={"username": "dr.claes@lmb.test", "password": PASSWORD}
    )

    assert response.headers["Location"] == "/doctor/"
