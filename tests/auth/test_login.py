"""Logging in and out through the staff pages."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from app.extensions import db
from app.models import Role, StaffUser, utcnow
from app.services import users
from tests.auth.conftest import PASSWORD, change, log_in, without_tokens

LOGIN_FAILED_NL = (
    "We konden u niet aanmelden met deze gebruikersnaam en dit wachtwoord."
)


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_login_page_is_an_accessible_form(client):
    response = client.get("/staff/login", headers={"Accept-Language": "fr-BE"})

    assert response.status_code == 200
    page = soup(response)
    assert page.html["lang"] == "fr"
    form = page.find("form", action="/staff/login")
    assert form["method"] == "post"
    username = form.find("input", attrs={"name": "username"})
    password = form.find("input", attrs={"name": "password"})
    assert username["autocomplete"] == "username"
    assert password["autocomplete"] == "current-password"
    assert password["type"] == "password"
    assert form.find("label", attrs={"for": "username"}).get_text(strip=True)
    assert form.find("label", attrs={"for": "password"}).get_text(strip=True)
    assert page.find(class_="error-summary") is None


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.CENTRE_STAFF, "/centre/"),
        (Role.OPERATOR, "/admin/"),
        (Role.MONITOR, "/admin/"),
        (Role.DOCTOR, "/doctor/"),
        (Role.AGENT, "/agent/"),
    ],
)
def test_log_in_sends_each_role_to_its_start_page(client, make_user, role, home):
    make_user("someone@lmb.test", role)

    response = log_in(client, "Someone@LMB.test", PASSWORD)

    assert response.status_code == 303
    assert response.headers["Location"] == home


def test_logged_in_user_sees_who_they_are_and_a_log_out_button(client, make_user):
    make_user("operator@lmb.test")
    log_in(client)

    page = soup(client.get("/staff/login"))

    assert page.find("input", attrs={"name": "password"}) is None
    nav = page.find("nav", class_="staff-nav")
    assert "operator@lmb.test" in nav.get_text()
    logout = nav.find("form", action="/staff/logout")
    assert logout["method"] == "post"
    assert logout.find("button", type="submit")


def test_log_in_makes_an_eight_hour_session(client, make_user):
    make_user("operator@lmb.test")

    response = log_in(client)

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with client.session_transaction() as session:
        assert session.permanent is True
    expires = client.get_cookie("session").expires
    assert timedelta(hours=7, minutes=59) < expires - utcnow() <= timedelta(hours=8)
    assert client.application.config["SESSION_REFRESH_EACH_REQUEST"] is True


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_user):
    make_user("operator@lmb.test")

    unknown = log_in(client, "nobody@lmb.test", PASSWORD)
    wrong = log_in(client, "operator@lmb.test", "Wrong password 1")

    assert unknown.status_code == wrong.status_code == 422
    assert without_tokens(unknown.get_data(as_text=True)).replace(
        "nobody@lmb.test", "NAME"
    ) == without_tokens(wrong.get_data(as_text=True)).replace(
        "operator@lmb.test", "NAME"
    )
    page = soup(wrong)
    summary = page.find(class_="error-summary")
    assert summary["role"] == "alert"
    assert summary.find("a")["href"] == "#password"
    assert LOGIN_FAILED_NL in summary.get_text()
    assert page.find(id="password-error").get_text().startswith(LOGIN_FAILED_NL)
    assert page.find(id="password")["aria-invalid"] == "true"


def test_empty_form_names_both_fields(client):
    response = client.post("/staff/login", data={}, headers={"Accept-Language": "de"})

    assert response.status_code == 422
    summary = soup(response).find(class_="error-summary")
    assert [a["href"] for a in summary.find_all("a")] == ["#username", "#password"]


def test_five_wrong_passwords_lock_the_account(client, make_user):
    user_id = make_user("operator@lmb.test")
    answers = [log_in(client, password="Wrong password 1") for _ in range(5)]

    locked = log_in(client)

    assert [a.status_code for a in answers] == [422] * 5
    assert locked.status_code == 422
    assert without_tokens(locked.get_data(as_text=True)) == without_tokens(
        answers[0].get_data(as_text=True)
    )
    with client.application.app_context():
        user = db.session.get(StaffUser, user_id)
        assert user.locked_until > utcnow() + timedelta(minutes=14)
        user.locked_until = utcnow() - timedelta(seconds=1)  # fifteen minutes later
        db.session.commit()
    assert log_in(client).status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_next_never_leaves_the_site(client, make_user, target):
    make_user("operator@lmb.test")

    page = soup(client.get("/staff/login", query_string={"next": target}))
    response = log_in(client, next=target)

    assert page.find("input", attrs={"name": "next"})["value"] == ""
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"


def test_next_brings_the_user_back_to_a_local_page(client, make_user):
    make_user("operator@lmb.test")

    page = soup(client.get("/staff/login?next=%2Fcentre%2Fcampaigns%3Fday%3D3"))
    response = log_in(client, next=page.find("input", attrs={"name": "next"})["value"])

    assert response.status_code == 303
    assert response.headers["Location"] == "/centre/campaigns?day=3"
    again = client.get("/staff/login?next=/admin/reports")
    assert again.status_code == 303
    assert again.headers["Location"] == "/admin/reports"


def test_logout_needs_a_post(client, make_user):
    make_user("operator@lmb.test")
    log_in(client)

    refused = client.get("/staff/logout")
    still_in = soup(client.get("/staff/login"))
    response = client.post("/staff/logout")
    after = soup(client.get("/staff/login"))

    assert refused.status_code == 405
    assert still_in.find("input", attrs={"name": "password"}) is None
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/login"
    assert after.find("input", attrs={"name": "password"}) is not None


def test_csrf_token_is_required(fresh_app, make_user):
    make_user("operator@lmb.test")
    client = fresh_app(WTF_CSRF_ENABLED=True).test_client()
    client.environ_base["REMOTE_ADDR"] = "10.78.0.1"

    without = log_in(client)
    page = soup(client.get("/staff/login"))
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    with_token = log_in(client, csrf_token=token)
    logout_without = client.post("/staff/logout")

    assert without.status_code == 400
    assert with_token.status_code == 303
    assert logout_without.status_code == 400


def test_session_from_another_browser_is_refused(client, make_user):
    make_user("operator@lmb.test")
    log_in(client)

    same = soup(client.get("/staff/login"))
    other = soup(client.get("/staff/login", headers={"User-Agent": "Other/1.0"}))

    assert same.find("input", attrs={"name": "password"}) is None
    assert other.find("input", attrs={"name": "password"}) is not None


@pytest.mark.parametrize(
    ("function", "arguments"),
    [
        (users.deactivate, ()),
        (users.set_password, ("Another good one 2",)),
    ],
    ids=["deactivated", "new password"],
)
def test_open_sessions_end_when_the_account_changes(
    app, client, make_user, function, arguments
):
    user_id = make_user("operator@lmb.test")
    log_in(client)
    before = soup(client.get("/staff/login"))

    change(app, function, user_id, *arguments, utcnow())
    after = soup(client.get("/staff/login"))

    assert before.find("input", attrs={"name": "password"}) is None
    assert after.find("input", attrs={"name": "password"}) is not None


def test_log_in_posts_are_rate_limited_per_address(make_app, app):
    limited = make_app(
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=True,
        RATELIMIT_PUBLIC_FORMS="3 per minute",
    ).test_client()
    address = {"REMOTE_ADDR": "198.51.100.77"}

    answers = [
        limited.post("/staff/login", data={}, environ_base=address).status_code
        for _ in range(4)
    ]

    assert answers == [422, 422, 422, 429]


def test_staff_language_is_kept_in_a_cookie(client):
    response = client.get("/staff/language/de?next=/staff/login")

    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/login"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=de;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = soup(client.get("/staff/login", headers={"Accept-Language": "fr"}))
    assert page.html["lang"] == "de"
    switch = {a["lang"]: a["href"] for a in page.find("ul", class_="languages")("a")}
    assert switch == {
        "nl": "/staff/language/nl?next=/staff/login",
        "fr": "/staff/language/fr?next=/staff/login",
    }


def test_staff_language_does_not_change_public_pages(client):
    client.get("/staff/language/de")

    assert soup(client.get("/fr/")).html["lang"] == "fr"


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/staff/language/fr?next=//evil.example", "/staff/login"),
        ("/staff/language/fr?next=https://evil.example", "/staff/login"),
        ("/staff/language/fr", "/staff/login"),
    ],
)
def test_language_switch_only_goes_back_to_local_pages(client, url, location):
    response = client.get(url)

    assert response.status_code == 303
    assert response.headers["Location"] == location


def test_language_switch_knows_only_our_languages(client):
    assert client.get("/staff/language/en").status_code == 404
