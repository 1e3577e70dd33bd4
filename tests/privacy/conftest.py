"""Fixtures for the privacy tests: a real SMTP server, and people registered
through the public form with values that appear nowhere else."""

import logging
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app import links
from app.extensions import db
from app.models import Campaign, Centre, Entry, Invitation, Person
from jobs import eligibility as eligibility_jobs
from tests.citizen.test_registration import form
from tests.factories import make_ssin
from tests.outbox.conftest import SmtpServer


@pytest.fixture
def smtp(app, monkeypatch):
    """An SMTP server the session app delivers to while the test runs."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = SmtpServer().start()
    monkeypatch.setitem(app.config, "MAIL_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    yield server
    server.stop()


class Someone:
    """A person's values as typed, and every spelling we must never find."""

    def __init__(self, yymmdd, serial, last_name, first_name, email, mobile, e164):
        self.ssin = make_ssin(yymmdd, serial)
        self.last_name = last_name
        self.first_name = first_name
        self.email = email
        self.mobile = mobile
        self.e164 = e164

    def form(self, **overrides):
        values = {
            "ssin": self.ssin,
            "last_name": self.last_name,
            "first_name": self.first_name,
            "email": self.email,
            "mobile": self.mobile,
        }
        values.update(overrides)
        return form(**values)

    def ssin_spellings(self):
        d = self.ssin
        return [
            d,
            f"{d[:2]}.{d[2:4]}.{d[4:6]}-{d[6:9]}.{d[9:]}",
            f"{d[:6]}-{d[6:9]}-{d[9:]}",
            f"{d[:6]}-{d[6:9]}.{d[9:]}",
            f"{d[:6]} {d[6:9]} {d[9:]}",
            f"{d[:6]}.{d[6:9]}.{d[9:]}",
        ]

    def phone_spellings(self):
        national = "0" + self.e164[3:]
        return [self.e164, national, self.mobile, self.e164[1:], "0032" + self.e164[3:]]

    def stored_forms(self):
        """The values as the database holds them (encrypted)."""
        return [self.ssin, self.last_name, self.first_name, self.email, self.e164]

    def needles(self, extra=()):
        """Every value of this person that must be gone after erasure."""
        return [
            *self.ssin_spellings(),
            self.last_name,
            self.first_name,
            self.email,
            *self.phone_spellings(),
            *extra,
        ]


ERASED = Someone(
    "470815",
    417,
    "Vandermeersch-Quaghebeur",
    "Griselda",
    "griselda.vdmq@example.be",
    "0476 54 32 10",
    "+32476543210",
)
KEPT = Someone(
    "520229",
    233,
    "Oosterlinck-Pirard",
    "Hyacinthe",
    "hyacinthe.op@example.be",
    "0495 11 22 33",
    "+32495112233",
)


def register(client, someone, **overrides):
    """Register through the public form and run the eligibility check."""
    response = client.post("/nl/register", data=someone.form(**overrides))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    entry_id = db.session.scalar(select(Entry.id).order_by(Entry.id.desc()))
    eligibility_jobs.check_entry(entry_id)
    db.session.expire_all()
    return db.session.get(Entry, entry_id)


def person_of(someone):
    from app.crypto import lookup_hash

    return db.session.scalar(
        select(Person).filter_by(ssin_hash=lookup_hash(someone.ssin))
    )


def personal_path(entry, lang="nl"):
    return f"/{lang}/me/{links.personal_token(entry)}"


def invite(entry, state, centre_code="vl-gent-flanders-expo", now=None):
    """A campaign at the entry's centre with one invitation of `entry`, sent."""
    now = now or datetime.now(UTC)
    centre = db.session.scalar(select(Centre).filter_by(code=centre_code))
    day = (now + timedelta(days=1)).date()
    campaign = Campaign(
        centre_id=centre.id,
        day=day,
        start_time=time(15),
        end_time=time(19),
        starts_at=datetime.combine(day, time(14), UTC),
        ends_at=datetime.combine(day, time(18), UTC),
        slots=2,
    )
    db.session.add(campaign)
    db.session.flush()
    invitation = Invitation(
        campaign_id=campaign.id,
        entry_id=entry.id,
        size=entry.size or 1,
        state=state,
        created_at=now,
        sent_at=now,
        expires_at=now + timedelta(minutes=30),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation
