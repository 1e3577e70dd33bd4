"""Each public page, with the styles and scripts it references, crosses the
network in under 60 KB when the browser accepts gzip (the least any browser
accepts; brotli and zstd do better). Measured through the real server, bytes
as sent. The figures go to test-artifacts/page-weight.txt for the README.

No browser needed: these run wherever the server runs."""

from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from bs4 import BeautifulSoup

from tests.browser.helpers import new_person, personal_path, register_by_http

LIMIT = 60 * 1024
REPORT = Path(__file__).resolve().parents[2] / "test-artifacts" / "page-weight.txt"


def fetch(session, url, method="GET", **kwargs):
    """A response and the number of body bytes that crossed the network."""
    response = session.request(
        method,
        url,
        headers={"Accept-Encoding": "gzip"},
        stream=True,
        timeout=10,
        **kwargs,
    )
    wire = response.raw.read(decode_content=False)
    return response, len(wire)


def page_weight(session, url, method="GET", **kwargs):
    """The page's bytes and those of every stylesheet and script it names."""
    response, total = fetch(session, url, method, **kwargs)
    assert response.headers.get("Content-Encoding") == "gzip", url
    # Read the page itself through requests, which undoes the gzip.
    html = session.request(method, url, timeout=10, **kwargs).text
    soup = BeautifulSoup(html, "html.parser")
    assets = [link["href"] for link in soup.select("link[rel=stylesheet][href]")]
    assets += [script["src"] for script in soup.select("script[src]")]
    assert assets, "the page names no stylesheet or script"
    parts = {"page": total}
    origin = "/".join(url.split("/")[:3]) + "/"
    for asset in assets:
        asset_url = urljoin(url, asset)
        assert asset_url.startswith(origin), f"{asset} is not served by the app"
        asset_response, size = fetch(session, asset_url)
        assert asset_response.status_code == 200, asset_url
        assert asset_response.headers.get("Content-Encoding") == "gzip", asset_url
        parts[Path(asset.split("?")[0]).name] = size
    return sum(parts.values()), parts


@pytest.fixture(scope="module")
def person_paths(live_server):
    person = new_person("Anna")
    status_path, _ = register_by_http(live_server.base, person)
    return {
        "status": status_path,
        "personal": personal_path(live_server.base, person.email),
    }


@pytest.fixture(scope="module")
def report():
    lines = []
    yield lines
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(sorted(lines)) + "\n")


PAGES = {
    "landing": "/nl/",
    "info": "/nl/info",
    "finder-results": "/nl/centres?postcode=9000",
    "finder-error": "/nl/centres?postcode=90",
    "registration": "/nl/register",
    "registration-errors": None,
    "status": "status",
    "personal": "personal",
    "change": "personal/change",
    "withdraw": "personal/withdraw",
    "staff-login": "/staff/login",
}


@pytest.mark.parametrize("name", PAGES)
def test_page_with_its_styles_and_scripts_is_under_60_kb(
    live_server, person_paths, report, name
):
    session = requests.Session()
    path = PAGES[name]
    if name == "registration-errors":
        # The form sent back with every error: the largest public page.
        form = BeautifulSoup(
            session.get(live_server.base + "/nl/register").text, "html.parser"
        )
        token = form.find("input", attrs={"name": "csrf_token"})["value"]
        total, parts = page_weight(
            session,
            live_server.base + "/nl/register",
            "POST",
            data={"csrf_token": token},
        )
    else:
        first, _, rest = path.partition("/")
        if first in person_paths:
            path = person_paths[first] + ("/" + rest if rest else "")
        total, parts = page_weight(session, live_server.base + path)

    report.append(
        f"{name}: {total / 1024:.1f} KB ("
        + ", ".join(f"{part} {size / 1024:.1f}" for part, size in parts.items())
        + ")"
    )
    assert total < LIMIT, parts
