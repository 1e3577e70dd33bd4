"""200 people claim a moment of 10 slots at the same instant: exactly 10 win."""

import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import DirectClaim, OpenMoment, Person
from app.services import direct
from app.services.entries import PersonData
from app.services.errors import DomainError
from tests.factories import make_ssin

CLAIMS = 200
SLOTS = 10


def claim_data(number):
    # 200 different national numbers: 40 birth days, 5 serials each.
    index = number // 5
    ssin = make_ssin(f"55{1 + index // 20:02d}{1 + index % 20:02d}", 100 + number % 5)
    return direct.ClaimData(
        person=PersonData(
            ssin, "Janssens", "Jan", f"p{number}@example.be", "+32470123456"
        ),
        postcode="9000",
        language="nl",
    )


def test_every_national_number_of_the_test_is_different():
    assert len({claim_data(n).person.ssin for n in range(CLAIMS)}) == CLAIMS


@pytest.mark.timeout(300)
def test_simultaneous_claims_never_over_fill_a_moment(app, make_moment):
    moment_id = make_moment(slots=SLOTS)
    start = threading.Barrier(CLAIMS, timeout=60)
    outcomes = []
    lock = threading.Lock()

    def claim(number):
        data = claim_data(number)
        with app.app_context():
            start.wait()
            try:
                direct.claim_moment(moment_id, data)
                outcome = "claimed"
            except DomainError:
                outcome = "full"
            except Exception as exc:  # reported below, with its type
                outcome = type(exc).__name__
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(CLAIMS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)

    assert sorted(set(outcomes)) == ["claimed", "full"], outcomes
    assert outcomes.count("claimed") == SLOTS
    assert outcomes.count("full") == CLAIMS - SLOTS
    with app.app_context():
        assert db.session.get(OpenMoment, moment_id).claimed == SLOTS
        assert db.session.scalar(select(func.count()).select_from(DirectClaim)) == SLOTS
        assert db.session.scalar(select(func.count()).select_from(Person)) == SLOTS
        db.session.remove()
