"""`make run`'s program, started for real: pages, a registration that reaches
"eligible" through the worker, its e-mail in the development mail page, and a
clean stop of every child process."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup

from simulators.testing import free_port
from tests.factories import make_ssin

ROOT = Path(__file__).resolve().parent.parent


def wait_for(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url} did not answer in {timeout}s")


@pytest.fixture
def server(app, test_environ, tmp_path):
    """scripts/run.py on free ports; embedded Redis and SQLite unless the run
    uses the PostgreSQL and Redis servers, then the test's schema and prefix."""
    port = free_port()
    env = dict(test_environ, LMB_ENV="development", PYTHONUNBUFFERED="1")
    for name in ("VCDB_URL", "MAIL_HOST", "MAIL_PORT", "SMS_URL", "MAILDIR"):
        env.pop(name, None)
    if not os.environ.get("DATABASE_URL"):
        env.pop("DATABASE_URL")
    if not os.environ.get("REDIS_URL"):
        env.pop("REDIS_URL")
    args = [
        sys.executable, "scripts/run.py",
        "--port", str(port),
        "--vcdb-port", str(free_port()),
        "--sms-port", str(free_port()),
        "--smtp-port", str(free_port()),
        "--instance", str(tmp_path / "instance"),
        "--web-workers", "1",
    ]  # fmt: skip
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz", timeout=90)
        yield base, process, tmp_path / "run.log"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def test_make_run_serves_everything_and_stops_cleanly(server):
    base, process, log_path = server

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

    deadline = time.monotonic() + 60
    while True:
        mail = requests.get(base + "/dev/mail", timeout=5).text
        if "U staat op de reservelijst" in mail:
            break
        assert time.monotonic() < deadline, "the confirmation did not arrive"
        time.sleep(0.5)
    link = BeautifulSoup(mail, "html.parser").find("a", href=re.compile(r"^/dev/mail/"))
    message = requests.get(base + link["href"], timeout=5).text
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
