"""Every route, walked with every role: public pages are open, staff pages
refuse whoever should not see them, posts need a CSRF token, development
pages do not exist in production, and public addresses do not disappear."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from app.extensions import csrf
from app.models import Role
from tests.auth.conftest import log_in

PUBLIC_ROUTES = Path(__file__).resolve().parents[1] / "public_routes.txt"
ROLES = (None, *Role.ALL)  # None: not logged in
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# Staff areas, and the roles that may ever have a page there.
AREAS = {
    "/centre/": {Role.CENTRE_STAFF, Role.OPERATOR},
    "/admin/": {Role.OPERATOR, Role.MONITOR, Role.CENTRE_STAFF},
    "/doctor/": {Role.DOCTOR},
    "/agent/": {Role.AGENT},
    "/dev/": {Role.OPERATOR},
    "/staff/": set(Role.ALL),
}
# Staff addresses anybody may open: the way in and out.
OPEN_STAFF = {
    "/staff/login",
    "/staff/login/code",
    "/staff/logout",
    "/staff/language/<code>",
    "/staff/oidc/login",
    "/staff/oidc/callback",
}
# Machine endpoints that authenticate with a bearer token instead of a log-in.
# Without the token they answer 401, or 404 while their token is not set.
TOKEN_ROUTES = {"/metrics", "/centre/api/bookings"}
# The views that may take posts without a CSRF token: token-authenticated
# JSON endpoints only.
CSRF_EXEMPT_ALLOWED = {"app.centre.callback.report_booking"}


def pattern(rule):
    """A rule as written in public_routes.txt: converters dropped."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"<\1>", rule.rule)


def area(rule):
    if rule.rule in OPEN_STAFF or rule.rule in TOKEN_ROUTES:
        return None
    return next((prefix for prefix in AREAS if rule.rule.startswith(prefix)), None)


def sample_path(app, rule, method):
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        elif name == "code":
            values[name] = "nl"
        else:
            values[name] = "not-a-real-" + name
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, values, method=method)


def routes(app):
    """(rule, method) for every route but static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in METHODS:
            if method in rule.methods:
                found.append((rule, method))
    # Log-out comes last: it ends the sessions of the walk.
    return sorted(
        found, key=lambda item: (item[0].rule == "/staff/logout", item[0].rule, item[1])
    )


def allowed_roles(app, rule):
    view = app.view_functions[rule.endpoint]
    return set(getattr(view, "allowed_roles", AREAS[area(rule)]))


def goes_to_login(response):
    return (
        response.status_code in (302, 303)
        and urlsplit(response.headers["Location"]).path == "/staff/login"
    )


@pytest.fixture
def clients(app, make_user, new_client):
    """A client per role (None: anonymous), each logged in."""
    made = {None: new_client(app)}
    for role in Role.ALL:
        username = f"{role}@lmb.test".replace("_", "-")
        make_user(username, role)
        made[role] = new_client(app)
        assert log_in(made[role], username).status_code == 303
    return made


def test_every_route_lets_in_only_the_roles_it_is_for(app, clients):
    problems = []
    walked = 0

    for rule, method in routes(app):
        section = area(rule)
        path = sample_path(app, rule, method)
        for role, client in clients.items():
            response = client.open(path, method=method)
            walked += 1
            answer = f"{method} {rule.rule} as {role}: {response.status_code}"
            if response.status_code >= 500:
                problems.append(answer + " (server error)")
            elif section is None:
                # Public pages never ask for a log-in (the staff way in and out
                # may send back to the log-in page).
                public = rule.rule not in TOKEN_ROUTES | OPEN_STAFF
                if response.status_code == 403 and rule.rule not in TOKEN_ROUTES:
                    problems.append(answer + " (public route refused)")
                elif public and goes_to_login(response):
                    problems.append(answer + " (public route asks for a log-in)")
            elif role is None:
                if not goes_to_login(response):
                    problems.append(answer + " (anonymous not sent to log-in)")
            elif role in allowed_roles(app, rule):
                if goes_to_login(response) or response.status_code == 403:
                    problems.append(answer + " (role refused)")
            elif response.status_code != 403:
                problems.append(answer + " (should be 403)")

    assert problems == [], "\n".join(problems)
    assert walked > 6 * 30


def test_staff_routes_declare_roles_within_their_area(app):
    problems = []
    for rule, _method in routes(app):
        if area(rule) is None:
            continue
        roles = allowed_roles(app, rule)
        if not roles or not roles <= AREAS[area(rule)]:
            problems.append(f"{rule.rule}: {sorted(roles)}")

    assert problems == []


def test_machine_endpoints_refuse_anyone_without_the_token(app, clients):
    for rule, method in routes(app):
        if rule.rule not in TOKEN_ROUTES:
            continue
        path = sample_path(app, rule, method)
        for client in clients.values():
            response = client.open(path, method=method, json={})
            assert response.status_code in (401, 404), (rule.rule, response.status_code)
            wrong = client.open(
                path, method=method, json={}, headers={"Authorization": "Bearer x"}
            )
            assert wrong.status_code in (401, 404), (rule.rule, wrong.status_code)


def test_every_post_needs_a_csrf_token(make_app):
    protected = make_app(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    exempt = set(csrf._exempt_views)
    problems = []

    for rule, method in routes(protected):
        if method == "GET":
            continue
        view = protected.view_functions[rule.endpoint]
        name = f"{view.__module__}.{view.__name__}"
        response = client.open(sample_path(protected, rule, method), method=method)
        if name in exempt:
            if response.status_code == 400 and b"CSRF" in response.data:
                problems.append(f"{rule.rule}: exempt but asks for a token")
        elif response.status_code != 400:
            problems.append(
                f"{method} {rule.rule}: {response.status_code} without token"
            )

    assert problems == []
    assert exempt <= CSRF_EXEMPT_ALLOWED
    assert not csrf._exempt_blueprints


def test_development_pages_do_not_exist_in_production(production_app):
    assert production_app.config["DEV_PAGES"] is False
    rules = [rule.rule for rule in production_app.url_map.iter_rules()]
    assert [rule for rule in rules if rule.startswith("/dev")] == []
    assert production_app.test_client().get("/dev/mail").status_code == 404


def listed_public_routes():
    lines = PUBLIC_ROUTES.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_no_public_address_disappears(app):
    patterns = {pattern(rule) for rule in app.url_map.iter_rules()}

    missing = [route for route in listed_public_routes() if route not in patterns]

    assert missing == []
    assert "/<lang>/me/<token>" in listed_public_routes()
    assert "/<lang>/confirm/<token>" in listed_public_routes()


def test_listed_public_addresses_are_open_to_anyone(app, client):
    for route in listed_public_routes():
        path = route.replace("<lang>", "nl").replace("<token>", "not-a-real-token")
        response = client.get(path)
        assert response.status_code in (200, 302, 404), (route, response.status_code)
        assert not goes_to_login(response), route
