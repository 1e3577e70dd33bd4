"""What several browser tests do: people to register, a registration over
plain HTTP, the development mailbox, and axe-core."""

import itertools
import re
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import requests
from bs4 import BeautifulSoup

from tests.factories import make_ssin

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

DEMO_PASSWORD = "lmb-demo-password-2026"  # run.py's demo accounts, development only

# Serials below 800 are eligible in the vaccination code database simulator.
_serials = itertools.count(100)

# What the status page says once the check is done, per language.
ACCEPTED = {
    "nl": "U kunt op de reservelijst geplaatst worden",
    "fr": "Vous pouvez être inscrit(e) sur la liste de réserve",
    "de": "Sie können auf die Reserveliste gesetzt werden",
}


@dataclass
class Person:
    ssin: str
    last_name: str
    first_name: str
    email: str
    mobile: str


def new_person(first_name="Louise", born="480205"):
    """Someone born on `born` (YYMMDD, in the 1900s; 5 February 1948 unless
    said) with a national number of their own."""
    serial = next(_serials)
    return Person(
        ssin=make_ssin(born, serial),
        last_name="Peeters",
        first_name=first_name,
        email=f"person{serial}@example.be",
        mobile=f"0475 11 {serial // 100:02d} {serial % 100:02d}",
    )


def register_by_http(base, person, lang="nl", postcode="9000", centre=None, slot=None):
    """Register `person` for one day part (`slot`, "2026-12-04:evening"; the
    first that can be chosen unless given), as a form post without a
    browser; returns the status page's path and that day part."""
    session = requests.Session()
    page = BeautifulSoup(
        session.get(f"{base}/{lang}/register", timeout=10).text, "html.parser"
    )
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    day = slot or page.find("input", attrs={"name": "availability"})["value"]
    response = session.post(
        f"{base}/{lang}/register",
        data={
            "csrf_token": token,
            "ssin": person.ssin,
            "last_name": person.last_name,
            "first_name": person.first_name,
            "postcode": postcode,
            "email": person.email,
            "mobile": person.mobile,
            "language": lang,
            "centres": centre or "vl-gent-flanders-expo",
            "availability": day,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303, response.text[:500]
    return response.headers["Location"], day


def wait_until_accepted(base, status_path, lang, timeout=60):
    deadline = time.monotonic() + timeout
    while ACCEPTED[lang] not in requests.get(base + status_path, timeout=10).text:
        assert time.monotonic() < deadline, "the eligibility check did not finish"
        time.sleep(0.5)


def staff_session(base, username="operator@lmb.test"):
    """A requests session logged in as one of run.py's demo accounts."""
    session = requests.Session()
    page = BeautifulSoup(
        session.get(f"{base}/staff/login", timeout=10).text, "html.parser"
    )
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    response = session.post(
        f"{base}/staff/login",
        data={"csrf_token": token, "username": username, "password": DEMO_PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303, response.text[:500]
    return session


def mail_to(base, address, subject="", timeout=60):
    """The text of the newest e-mail to `address` whose subject holds
    `subject`, from the development mailbox (which only operators may read)."""
    session = staff_session(base)
    deadline = time.monotonic() + timeout
    while True:
        page = BeautifulSoup(
            session.get(f"{base}/dev/mail", timeout=10).text, "html.parser"
        )
        for row in page.select("tbody tr"):
            cells = row.find_all("td")
            if (
                cells
                and cells[-1].get_text(strip=True) == address
                and subject in cells[1].get_text()
            ):
                href = cells[1].find("a")["href"]
                return session.get(base + href, timeout=10).text
        assert time.monotonic() < deadline, "no e-mail arrived"
        time.sleep(0.5)


def personal_path(base, address):
    """The path of the personal link in the confirmation e-mail to `address`
    (the link itself names PUBLIC_BASE_URL, not this test server)."""
    link = re.search(
        r"https?://[^\s<>\"']+/me/[A-Za-z0-9_.\-]+", mail_to(base, address)
    )
    assert link, "no personal link in the e-mail"
    return urlsplit(link.group(0)).path


def axe_violations(page):
    """axe-core's WCAG 2.1 A and AA violations on the page, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's CSP allows no
        # injected <script>, and needs not.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]


def scroll_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


# Weekdays and months as each language writes them, Monday and January first.
WEEKDAYS = {
    "nl": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag".split(),
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split(),
}
MONTHS = {
    "nl": "januari februari maart april mei juni juli augustus september oktober "
    "november december".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre "
    "novembre décembre".split(),
    "de": "Januar Februar März April Mai Juni Juli August September Oktober "
    "November Dezember".split(),
}


def written_day(day: date, lang):
    """'vrijdag 4 december', 'vendredi 4 décembre', 'Freitag, 4. Dezember'."""
    weekday, month = WEEKDAYS[lang][day.weekday()], MONTHS[lang][day.month - 1]
    if lang == "de":
        return f"{weekday}, {day.day}. {month}"
    return f"{weekday} {day.day} {month}"
