"""Random and hostile input on every public form and endpoint: no server
error, and nothing stored.

Values: any unicode text (right-to-left marks, zero-width characters, NUL),
very long strings, SQL, HTML and template fragments, digits of other
scripts, numbers where text is expected, several values for one field,
missing fields, and JSON bodies of every shape. Bounded: derandomised (the
same examples on every run) and sized so that this file runs in well under a
minute.
"""

import json
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.routing import AnyConverter, IntegerConverter

from app import links
from app.extensions import db
from tests.conftest import REFERENCE_TABLES
from tests.security.conftest import register_and_check
from tests.security.test_routes import TOKEN_ROUTES, area

NASTY = [
    "",
    " ",
    "' OR '1'='1",
    "'; DROP TABLE person; --",
    "1; SELECT pg_sleep(5)",
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>",
    "{{ 7*7 }}",
    "{% raw %}",
    "${7*7}",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "\x00",
    "abc\x00def",
    "\u202eevil\u202c",
    "\u200b\u200c\u200d\ufeff",
    "\ud7ff\ue000\uffff",
    "٤٥٠٣١٢١٢٣٩٥",  # a national number in Arabic-Indic digits
    "４５０３１２１２３９５",  # and in full-width digits
    "45031212395",
    "85.07.30-033.28",
    "9000",
    "nl",
    "vl-gent-flanders-expo",
    "2021-04-11:morning",
    "9999-99-99:evening",
    "-1",
    "18446744073709551616",
    "1e400",
    "NaN",
    "null",
    "true",
    "[]",
    "{}",
    "\r\nSet-Cookie: x=1",
    "😷" * 50,
    "Ǆ" * 200,
]
HOSTILE_TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.builds(
        lambda piece, times: piece * times,
        st.sampled_from(["A", "9", "é", "\u202e", "\u200b", "\x00", "<", "'"]),
        st.integers(500, 10_000),
    ),
)
VALUES = st.lists(HOSTILE_TEXT, min_size=1, max_size=4)
FIELDS = (
    "ssin",
    "last_name",
    "first_name",
    "postcode",
    "email",
    "mobile",
    "language",
    "centres",
    "availability",
    "calendar_action",
    "show_centres",
    "website",
    "username",
    "password",
    "next",
    "code",
    "csrf_token",
)
FORMS = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=20)), VALUES, max_size=12
)
JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        HOSTILE_TEXT,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), inner, max_size=6
        ),
    ),
    max_leaves=12,
)
QUICK = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def multidict(fields):
    return MultiDict(
        [(name, value) for name, values in fields.items() for value in values]
    )


def rows(app):
    """Rows in every table but the reference data."""
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name not in REFERENCE_TABLES
        }
        db.session.remove()
    return counts


@pytest.fixture
def fuzz_client(app, new_client):
    """A client, and a check after the test that nothing was stored."""
    before = rows(app)
    yield new_client(app)
    assert rows(app) == before


def answered(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    return response


@settings(QUICK, max_examples=150)
@given(lang=st.sampled_from(["nl", "fr", "de"]), fields=FORMS)
def test_registration_form(fuzz_client, lang, fields):
    # A national number that is never valid keeps anything from being stored
    # while every other field goes through its checks.
    fields.setdefault("ssin", []).insert(0, "00000000000")
    answered(fuzz_client.post(f"/{lang}/register", data=multidict(fields)))


@settings(QUICK, max_examples=80)
@given(fields=FORMS, htmx=st.booleans())
def test_calendar_and_centre_fragments(fuzz_client, fields, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    data = multidict(fields)

    answered(fuzz_client.post("/nl/register/calendar", data=data, headers=headers))
    answered(
        fuzz_client.get("/fr/register/centres", query_string=data, headers=headers)
    )
    answered(fuzz_client.get("/de/centres", query_string=data, headers=headers))


@pytest.fixture
def personal_path(app, client, vcdb):
    with app.app_context():
        entry = register_and_check(client)
        path = f"/nl/me/{links.personal_token(entry)}"
        db.session.remove()
    return path


@settings(QUICK, max_examples=100)
@given(fields=FORMS)
def test_personal_change_form(app, personal_path, new_client, fields):
    before = rows(app)
    client = new_client(app)
    # Centre codes that do not exist: the change is always refused.
    fields["centres"] = [value + "-x" for value in fields.get("centres", [])]

    answered(client.post(personal_path + "/change", data=multidict(fields)))

    assert rows(app) == before


@settings(QUICK, max_examples=20)
@given(fields=FORMS)
def test_staff_log_in(fuzz_client, fields):
    answered(fuzz_client.post("/staff/login", data=multidict(fields)))
    answered(fuzz_client.post("/staff/login/code", data=multidict(fields)))


def public_routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or area(rule) is not None:
            continue
        found += [(rule, m) for m in ("GET", "POST") if m in rule.methods]
    return sorted(found, key=lambda item: (item[0].rule, item[1]))


def path_value(draw, converter):
    if isinstance(converter, AnyConverter):
        return draw(st.sampled_from(sorted(converter.items)))
    if isinstance(converter, IntegerConverter):
        return str(draw(st.one_of(st.integers(0, 10), st.integers(0, 10**30))))
    return quote(draw(HOSTILE_TEXT), safe="") or "x"


HEADERS = st.dictionaries(
    st.sampled_from(
        ["HX-Request", "HX-Boosted", "Accept-Language", "X-Request-ID", "Authorization"]
    ),
    st.sampled_from([*NASTY[:12], "true", "fr;q=0.9, *", "Bearer x"]).map(
        lambda v: re.sub(r"[\r\n\x00]", "", v)
    ),
    max_size=3,
)
BODIES = st.one_of(
    FORMS.map(lambda fields: ("form", multidict(fields))),
    JSON.map(lambda body: ("json", json.dumps(body))),
)


@settings(QUICK, max_examples=300)
@given(data=st.data())
def test_every_public_route_and_endpoint(app, fuzz_client, data):
    rule, method = data.draw(st.sampled_from(public_routes(app)))
    path = re.sub(
        r"<(?:[^:<>]+:)?([^<>]+)>",
        lambda m: path_value(data.draw, rule._converters[m.group(1)]),
        rule.rule,
    )
    headers = data.draw(HEADERS)

    if method == "GET":
        query = multidict(data.draw(FORMS))
        response = fuzz_client.get(path, query_string=query, headers=headers)
    else:
        kind, body = data.draw(BODIES)
        content_type = "application/json" if kind == "json" else None
        response = fuzz_client.post(
            path, data=body, content_type=content_type, headers=headers
        )

    answered(response)


@pytest.fixture
def token_client(make_app, new_client):
    """An app whose token-authenticated endpoints are switched on."""
    tokened = make_app(BOOKING_CALLBACK_TOKEN="fuzz-token", METRICS_TOKEN="fuzz-token")
    before = rows(tokened)
    yield tokened, new_client(tokened)
    assert rows(tokened) == before


@settings(QUICK, max_examples=100)
@given(body=JSON, raw=st.one_of(st.none(), HOSTILE_TEXT))
def test_token_authenticated_json_endpoints(token_client, body, raw):
    """With the right token, bodies of any shape are refused cleanly."""
    app, client = token_client
    payload = raw if raw is not None else json.dumps(body)
    for rule, method in public_routes(app) + api_routes(app):
        if rule.rule not in TOKEN_ROUTES or method != "POST":
            continue
        response = client.post(
            rule.rule,
            data=payload,
            content_type="application/json",
            headers={"Authorization": "Bearer fuzz-token"},
        )
        answered(response)


def api_routes(app):
    return [
        (rule, "POST")
        for rule in app.url_map.iter_rules()
        if rule.rule in TOKEN_ROUTES and "POST" in rule.methods
    ]


# What fuzzing found, kept as plain regression tests.


def test_a_json_body_that_is_not_an_object_is_a_bad_request(fuzz_client):
    for body in ("false", "[1, 2]", '"text"', "3", "null"):
        response = fuzz_client.post(
            "/nl/register", data=body, content_type="application/json"
        )
        assert response.status_code == 400, body


def test_nul_characters_are_refused_everywhere(fuzz_client):
    assert fuzz_client.post("/nl/register", data={"centres": "\x00"}).status_code == 400
    assert fuzz_client.post("/staff/login", data={"username": "a\x00"}).status_code == (
        400
    )
    assert fuzz_client.get("/nl/centres?postcode=9000%00").status_code == 400
    assert fuzz_client.get("/nl/me/abc%00def").status_code == 400
    assert (
        fuzz_client.post(
            "/nl/register", json={"ssin": ["x\u0000"]}, content_type="application/json"
        ).status_code
        == 400
    )


def test_ids_beyond_64_bits_are_not_found(app, fuzz_client):
    int_routes = [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and any(isinstance(c, IntegerConverter) for c in rule._converters.values())
    ]
    if not int_routes:
        pytest.skip("no route takes a number")
    for rule in int_routes:
        path = huge_id_path(rule)
        assert fuzz_client.get(path).status_code == 404, rule.rule


def huge_id_path(rule):
    def value(match):
        converter = rule._converters[match.group(1)]
        if isinstance(converter, IntegerConverter):
            return str(10**30)
        if isinstance(converter, AnyConverter):
            return sorted(converter.items)[0]
        return "x"

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", value, rule.rule)


def test_bodies_over_a_mebibyte_are_refused(fuzz_client):
    response = fuzz_client.post("/nl/register", data={"last_name": "A" * 1_100_000})

    assert response.status_code == 413
