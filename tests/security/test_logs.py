"""No national number, name, e-mail address or phone number of a person, and
no personal-link token, in any log line: of the app in-process (every logger
at DEBUG) and of a real server (`make run`'s gunicorn, worker and cron, at
DEBUG) going through a registration, its check, the personal page and staff
log-ins."""

import logging
import os
import re
import time
from contextlib import ExitStack
from datetime import UTC, datetime

import requests
from bs4 import BeautifulSoup
from sqlalchemy import select

from app import links
from app.extensions import db
from app.models import Entry, OutboxMessage, Role
from app.services import totp
from jobs import eligibility as eligibility_jobs
from jobs.outbox import deliver
from tests.auth.conftest import PASSWORD, log_in
from tests.citizen.test_registration import form, tomorrow
from tests.factories import make_ssin
from tests.live_server import LiveServer, own_schema, run_py_environ
from tests.outbox.conftest import SmtpServer

SSIN = make_ssin("390715", 205)
PERSON = {
    "ssin": f"{SSIN[:2]}.{SSIN[2:4]}.{SSIN[4:6]}-{SSIN[6:9]}.{SSIN[9:]}",
    "last_name": "Vandersteen",
    "first_name": "Godelieve",
    "email": "godelieve.vandersteen@example.be",
    "mobile": "0486 55 44 33",
}
SECRETS = (
    SSIN,
    PERSON["ssin"],
    SSIN[:6] + "-" + SSIN[6:9],
    "Vandersteen",
    "Godelieve",
    "godelieve.vandersteen",
    "+32486554433",
    "0486 55 44 33",
    "486554433",
    "0486554433",
)
# Loggers of the test's own helpers, not of the application.
NOT_OURS = ("mail.log",)


def leaks(text, extra=()):
    return [secret for secret in (*SECRETS, *extra) if secret in text]


def captured(records):
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = []
    for record in records:
        if record.name.startswith(NOT_OURS):
            continue
        lines.append(formatter.format(record))
        lines.append(repr(getattr(record, "args", "")))
    return "\n".join(lines)


def test_a_whole_flow_logs_no_personal_data(make_app, make_user, caplog, vcdb):
    smtp = SmtpServer().start()
    try:
        app = make_app(
            WTF_CSRF_ENABLED=False, MAIL_HOST="127.0.0.1", MAIL_PORT=smtp.port
        )
        caplog.set_level(logging.DEBUG)
        tokens = run_flow(app, make_user)
    finally:
        smtp.stop()

    text = captured(caplog.records)
    assert "registered, eligibility check pending" in text  # the flow was logged
    assert "logged in" in text
    assert leaks(text, tokens) == []


def run_flow(app, make_user):
    """Registration, check, mail, status and personal pages, staff log-ins;
    the tokens of the personal and status links."""
    client = app.test_client()
    client.get("/nl/register")
    status = client.post("/nl/register", data=form(**PERSON)).headers["Location"]
    with app.app_context():
        entry_id = db.session.scalar(select(Entry.id))
        eligibility_jobs.check_entry(entry_id)
        for message_id in db.session.scalars(select(OutboxMessage.id)).all():
            deliver(message_id)
        entry = db.session.get(Entry, entry_id)
        token = links.personal_token(entry)
        db.session.remove()
    client.get(status)
    client.get(status, headers={"HX-Request": "true"})
    personal = f"/nl/me/{token}"
    client.get(personal)
    client.post(
        personal + "/change",
        data={
            "centres": ["vl-gent-flanders-expo"],
            "availability": [f"{tomorrow().isoformat()}:evening"],
        },
    )
    # The registration again (a change to confirm), and a typing error.
    client.post("/nl/register", data=form(**PERSON))
    client.post(
        "/nl/register", data=form(**dict(PERSON, email="godelieve.vandersteen@"))
    )

    staff = app.test_client()
    user_id = make_user("operator@lmb.test", Role.OPERATOR)
    secret = totp.new_secret()
    with app.app_context():
        totp.enable(user_id, secret, datetime.now(UTC))
        db.session.remove()
    log_in(staff, PERSON["email"], PASSWORD)  # a citizen's address as username
    log_in(staff, "operator@lmb.test", PASSWORD)
    staff.post("/staff/login/code", data={"code": "000000"})
    staff.post(
        "/staff/login/code", data={"code": totp.code_at(secret, datetime.now(UTC))}
    )
    return (token, status.rsplit("/", 1)[1])


def test_a_real_server_logs_no_personal_data(app, test_environ, tmp_path):
    # A queue prefix (and on PostgreSQL a schema) of the server's own: the
    # other tests' jobs must not reach its worker, nor its jobs theirs.
    prefix = test_environ["RQ_QUEUE_PREFIX"] + "-logs"
    overrides = {"RQ_QUEUE_PREFIX": prefix, "LOG_LEVEL": "DEBUG"}
    with ExitStack() as stack:
        if os.environ.get("DATABASE_URL"):
            overrides["DATABASE_URL"] = stack.enter_context(
                own_schema(os.environ["DATABASE_URL"], prefix.replace("-", "_"))
            )
        environ = run_py_environ(test_environ, **overrides)
        server = stack.enter_context(LiveServer(environ, tmp_path))
        tokens = real_flow(server.base)
    log = server.log_path.read_text()

    assert "LMB is ready" in log
    assert re.search(r"POST /<any\(nl, fr, de\):lang>/register 303", log)
    assert leaks(log, tokens) == []


def real_flow(base):
    citizen = requests.Session()
    page = BeautifulSoup(
        citizen.get(base + "/nl/register", timeout=10).text, "html.parser"
    )
    day = page.find("input", attrs={"name": "availability"})["value"]
    data = dict(
        form(**PERSON),
        csrf_token=page.find("input", attrs={"name": "csrf_token"})["value"],
        availability=[day],
    )
    response = citizen.post(
        base + "/nl/register", data=data, allow_redirects=False, timeout=10
    )
    assert response.status_code == 303, response.text[:300]
    status = base + response.headers["Location"]
    deadline = time.monotonic() + 90
    while "U kunt op de reservelijst" not in citizen.get(status, timeout=10).text:
        assert time.monotonic() < deadline, "the check did not finish"
        time.sleep(0.5)

    operator = requests.Session()
    login = BeautifulSoup(
        operator.get(base + "/staff/login", timeout=10).text, "html.parser"
    )
    csrf = login.find("input", attrs={"name": "csrf_token"})["value"]
    wrong = {"csrf_token": csrf, "username": PERSON["email"], "password": "x" * 12}
    assert (
        operator.post(base + "/staff/login", data=wrong, timeout=10).status_code == 422
    )
    right = {
        "csrf_token": csrf,
        "username": "operator@lmb.test",
        "password": "lmb-demo-password-2026",
    }
    operator.post(base + "/staff/login", data=right, timeout=10)
    deadline = time.monotonic() + 90
    while True:
        mail = BeautifulSoup(
            operator.get(base + "/dev/mail", timeout=10).text, "html.parser"
        )
        link = mail.find("a", href=re.compile(r"^/dev/mail/"))
        if link is not None:
            break
        assert time.monotonic() < deadline, "the confirmation did not arrive"
        time.sleep(0.5)
    message = operator.get(base + link["href"], timeout=10).text
    personal = re.search(r"http://[^\s\"<]+/nl/me/([A-Za-z0-9._-]+)", message)
    assert personal, "no personal link in the confirmation"
    token = personal.group(1)
    assert citizen.get(f"{base}/nl/me/{token}", timeout=10).status_code == 200
    return (token, status.rsplit("/", 1)[1])
