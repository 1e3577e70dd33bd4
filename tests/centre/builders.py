"""Builders for campaign tests: people on the list, campaigns, the clock.

Times are fixed (time travel: services take `now`), on Tuesday 10 March
2026, when Brussels is UTC+1: 14:00 in Brussels is 13:00 UTC.
"""

import itertools
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from app.adapters.vcdb import HttpEligibilityService
from app.crypto import lookup_hash
from app.extensions import db
from app.models import (
    Campaign,
    Centre,
    Eligibility,
    Entry,
    EntryKind,
    EntryState,
    Invitation,
    OutboxMessage,
    Person,
    Role,
    StaffUser,
)
from app.services import availability, campaigns, entries
from app.services.campaigns import CampaignRequest
from tests.factories import make_ssin

GENT = "vl-gent-flanders-expo"
LEUVEN = "vl-leuven-brabanthal"
DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)  # 14:00 in Brussels
_serials = itertools.count(100)


def ssin_born(year, month=1, day=1, serial=None):
    """A valid national number of someone born on that day; the serial
    (eligible in the simulator below 800) is fresh unless given."""
    serial = next(_serials) % 600 + 100 if serial is None else serial
    return make_ssin(
        f"{year % 100:02d}{month:02d}{day:02d}", serial, born_2000_or_later=year >= 2000
    )


def centre_id(code=GENT):
    return db.session.scalar(select(Centre.id).where(Centre.code == code))


def add_entry(
    *births,
    centres=(GENT,),
    parts=((DAY, availability.AFTERNOON),),
    language="nl",
    registered_at=None,
    eligible=True,
    email="maria.peeters@example.be",
    recipient="person",
    doctor_id=None,
):
    """An ACTIVE entry of one person per birth year (a group when several),
    eligible with a stored code "STORED-<n>", available on `parts`."""
    births = births or (1950,)
    registered_at = registered_at or NOW - timedelta(days=1)
    entry = Entry(
        kind=EntryKind.GROUP if len(births) > 1 else EntryKind.SELF,
        state=EntryState.PENDING,
        language=language,
        postcode="9000",
        registered_at=registered_at,
        recipient=recipient,
        doctor_id=doctor_id,
    )
    db.session.add(entry)
    for position, birth in enumerate(births):
        ssin = birth if isinstance(birth, str) else ssin_born(birth)
        person = Person(
            ssin_hash=lookup_hash(ssin),
            ssin=ssin,
            last_name="Peeters",
            first_name=f"Person{position + 1}",
            email=email,
            mobile="+32470123456",
            birth_day=_birth_day(ssin),
            is_responsible=position == 0,
            eligibility=Eligibility.ELIGIBLE if eligible else Eligibility.NOT_ELIGIBLE,
            vaccination_code=f"STORED-{ssin[-5:]}",
            checked_at=registered_at,
            created_at=registered_at,
        )
        entry.people.append(person)
    entries.set_availability(entry, list(parts))
    entries.set_centres(entry, [centre_id(code) for code in centres])
    db.session.flush()
    entries.refresh_entry(entry)
    db.session.commit()
    return entry.id


def _birth_day(ssin):
    from app.services.identity import ranking_birth_date

    birth = ranking_birth_date(ssin, DAY)
    return availability.day_number(birth) if birth else None


def staff_user(code=GENT, username="staff@lmb.test", role=Role.CENTRE_STAFF):
    user = StaffUser(
        username=username,
        password_hash="-",
        role=role,
        centre_id=centre_id(code) if role == Role.CENTRE_STAFF else None,
    )
    db.session.add(user)
    db.session.commit()
    return user


def open_campaign(
    code=GENT,
    *,
    day=DAY,
    start=time(15),
    end=time(19),
    slots=2,
    min_age=None,
    margin=30,
    now=NOW,
):
    campaign = campaigns.open_campaign(
        CampaignRequest(
            centre_id=centre_id(code),
            day=day,
            start_time=start,
            end_time=end,
            slots=slots,
            min_age=min_age,
            margin_minutes=margin,
        ),
        actor=None,
        now=now,
    )
    db.session.commit()
    return campaign.id


def service(vcdb):
    return HttpEligibilityService(
        vcdb.url, retries=0, connect_timeout=2, read_timeout=2
    )


def invitations_of(campaign_id):
    db.session.expire_all()
    return db.session.scalars(
        select(Invitation)
        .where(Invitation.campaign_id == campaign_id)
        .order_by(Invitation.id)
    ).all()


def invited_entries(campaign_id):
    return [i.entry_id for i in invitations_of(campaign_id)]


def messages(purpose=None, invitation_id=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if purpose:
        query = query.where(OutboxMessage.purpose == purpose)
    if invitation_id:
        query = query.where(OutboxMessage.invitation_id == invitation_id)
    return db.session.scalars(query).all()


def campaign(campaign_id):
    db.session.expire_all()
    return db.session.get(Campaign, campaign_id)


def entry(entry_id):
    db.session.expire_all()
    return db.session.get(Entry, entry_id)
