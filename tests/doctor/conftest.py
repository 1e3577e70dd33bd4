"""Fixtures for the doctor pages: accounts, a logged-in client, patient data."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from app.services import availability
from tests.auth.conftest import PASSWORD, client, log_in, make_user  # noqa: F401
from tests.factories import make_ssin

ELIGIBLE = make_ssin("450312", 123)  # born 12 March 1945: eligible
NOT_ELIGIBLE = make_ssin("500101", 812)
DOCTOR_RIZIV = "10000000000"


def tomorrow():
    return availability.local_now().date() + timedelta(days=1)


def patient(**overrides):
    """The posted form of a patient registration, with `overrides`."""
    day = tomorrow().isoformat()
    data = {
        "ssin": ELIGIBLE,
        "last_name": "Janssens",
        "first_name": "Jozef",
        "postcode": "9000",
        "email": "jozef.janssens@example.be",
        "mobile": "0470 98 76 54",
        "language": "nl",
        "centres": ["vl-gent-flanders-expo"],
        "availability": [f"{day}:morning", f"{day}:afternoon"],
        "recipient": "doctor",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def logged_in(test_client, username, lang="nl"):
    """Log `test_client` in as `username`, with the staff pages in `lang`."""
    test_client.set_cookie("lang", lang)
    response = log_in(test_client, username, PASSWORD)
    assert response.status_code == 303, response.get_data(as_text=True)
    return test_client


@pytest.fixture
def doctor(make_user):  # noqa: F811 - the fixture imported above
    return make_user("dr.peeters@lmb.test", "doctor", riziv_number=DOCTOR_RIZIV)
