"""`make run`'s program, started for real: pages, a registration that reaches
"eligible" through the worker, its e-mail in the development mail page, and a
clean stop of every child process."""

import re
import signal
import time

import requests
from bs4 import BeautifulSoup

from tests.factories import make_ssin


def test_make_run_serves_everything_and_stops_cleanly(server):
    base, process, log_path = server.base, server.process, server.log_path

    assert requests.get(base + "/readyz", timeout=5).json()["status"] == "ok"
    finder = requests.get(base + "/fr/centres?postcode=4700", timeout=5)
    assert "Impfzentrum Eupen" in finder.text
    assert 'lang="fr"' in finder.text

    session = requests.Session()
    form_page = BeautifulSoup(
        session.get(base + "/nl/register", timeout=5).text, "html.parser"
    )
    token = form_page.find("input", attrs={"name": "csrf_token"})["value"]
    day = form_page.find("input", attrs={"name": "availability"})["value"]
    response = session.post(
        base + "/nl/register",
        data={
            "csrf_token": token,
            "ssin": make_ssin("480205", 321),
            "last_name": "Janssens",
            "first_name": "Louis",
            "postcode": "9000",
            "email": "louis.janssens@example.be",
            "mobile": "0475 11 22 33",
            "language": "nl",
            "centres": "vl-gent-flanders-expo",
            "availability": day,
        },
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 303, response.text[:300]
    status_url = base + response.headers["Location"]

    deadline = time.monotonic() + 60
    while "U kunt op de reservelijst" not in session.get(status_url, timeout=5).text:
        assert time.monotonic() < deadline, "the check did not finish"
        time.sleep(0.5)

    operator = log_in_as_demo_operator(base)
    deadline = time.monotonic() + 60
    while True:
        mail = operator.get(base + "/dev/mail", timeout=5).text
        if "U staat op de reservelijst" in mail:
            break
        assert time.monotonic() < deadline, "the confirmation did not arrive"
        time.sleep(0.5)
    link = BeautifulSoup(mail, "html.parser").find("a", href=re.compile(r"^/dev/mail/"))
    message = operator.get(base + link["href"], timeout=5).text
    assert "Vaccinatiecentrum Gent" in message

    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 0
    log = log_path.read_text()
    assert "all stopped" in log
    # No personal data of the person reached the logs of any process.
    for secret in (
        "480205",
        "louis.janssens",
        "Janssens",
        "+32475112233",
        "0475 11 22 33",
    ):
        assert secret not in log


def log_in_as_demo_operator(base):
    """A session of the demo operator: the development mail page is theirs."""
    session = requests.Session()
    page = BeautifulSoup(
        session.get(base + "/staff/login", timeout=5).text, "html.parser"
    )
    response = session.post(
        base + "/staff/login",
        data={
            "csrf_token": page.find("input", attrs={"name": "csrf_token"})["value"],
            "username": "operator@lmb.test",
            "password": "lmb-demo-password-2026",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 303, response.text[:300]
    return session
