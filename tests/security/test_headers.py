"""Security headers on every answer, no caching of personal pages, and
templates that a strict Content-Security-Policy does not break."""

import re
from pathlib import Path

import pytest

from app import links
from tests.security.conftest import register, register_and_check

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


def html_templates():
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nl/"),
        ("GET", "/fr/register"),
        ("POST", "/nl/register"),
        ("GET", "/staff/login"),
        ("GET", "/static/css/app.css"),
        ("GET", "/static/js/htmx.min.js"),
        ("GET", "/nl/no-such-page"),
        ("GET", "/healthz"),
    ],
)
def test_every_answer_carries_the_security_headers(client, method, path):
    response = client.open(path, method=method)

    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Permissions-Policy"] == (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
        "magnetometer=(), microphone=(), payment=(), usb=()"
    )
    # Plain HTTP in development and tests: no HSTS there.
    assert "Strict-Transport-Security" not in response.headers


def test_production_adds_strict_transport_security(production_app):
    response = production_app.test_client().get("/nl/")

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert response.headers["Content-Security-Policy"] == CSP


def test_pages_with_personal_data_are_never_cached(client, app_ctx, vcdb):
    entry = register_and_check(client)
    status_path = register(client)  # the same number again: a status page
    personal = f"/nl/me/{links.personal_token(entry)}"
    private = [
        status_path,
        personal,
        personal + "/change",
        personal + "/withdraw",
        "/nl/confirm/not-a-valid-token",
        "/staff/login",
        "/staff/totp",
    ]

    for path in private:
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    # Any answer to a post may echo what was typed.
    assert client.post("/nl/register", data={}).headers["Cache-Control"] == ("no-store")
    # Public information pages may be cached.
    for path in ("/nl/", "/nl/info", "/static/css/app.css"):
        assert client.get(path).headers.get("Cache-Control") != "no-store", path


@pytest.mark.parametrize("template", html_templates(), ids=lambda p: p.name)
def test_templates_have_no_inline_script_style_or_handler(template):
    text = template.read_text()

    scripts = re.findall(r"<script\b[^>]*>", text, flags=re.I)
    assert all(re.search(r"\bsrc=", tag) for tag in scripts), scripts
    assert not re.search(r"<style\b", text, flags=re.I)
    assert not re.search(r"\sstyle\s*=", text, flags=re.I)
    assert not re.search(r"\son[a-z]+\s*=", text, flags=re.I)
    # htmx features that need eval or inline handlers.
    assert not re.search(r"\shx-on\b|\shx-on:|\sdata-hx-on|hx-vars", text)
    assert "js:" not in text and "javascript:" not in text.lower()


@pytest.mark.parametrize("template", html_templates(), ids=lambda p: p.name)
def test_every_post_form_carries_a_csrf_token(template):
    text = template.read_text()

    for form in re.findall(r"<form\b.*?</form>", text, flags=re.I | re.S):
        opening = re.match(r"<form\b[^>]*>", form, flags=re.I | re.S).group(0)
        if re.search(r"method\s*=\s*[\"']?post", opening, flags=re.I):
            assert "csrf_token" in form, opening


def test_htmx_is_configured_for_the_policy():
    base = (TEMPLATES / "base.html").read_text()

    assert '"includeIndicatorStyles": false' in base
    assert '"allowEval": false' in base
    assert re.search(r"<script src=\"\{\{ url_for\('static', filename='js/htmx", base)
    assert "X-CSRFToken" in base
