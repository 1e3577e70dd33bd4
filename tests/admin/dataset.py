"""A known data set for the reports, built through the app's own functions.

Registrations go through app.services.entries.register and the eligibility
answer through app.services.eligibility.apply_result. Campaigns and
invitations are rows written directly, with hand-picked times and states.

Period of the tests: Monday 5 to Sunday 11 April 2021, Europe/Brussels
(UTC+2 then).

| entry | kind         | centre | postcode | people | registered (Brussels) | by     |
|-------|--------------|--------|----------|--------|-----------------------|--------|
| e1-e3 | self         | Gent   | 9000     | 1 each | Tue 6 Apr 10:00       |        |
| e4    | self         | Gent   | 9000     | 1      | Mon 5 Apr 00:10       |        |
| e5    | group        | Gent   | 9000     | 3      | Wed 7 Apr 11:00       |        |
| e6    | companion    | Liège  | 4000     | 1      | Wed 7 Apr 12:00       |        |
| e7-e8 | third_party  | Liège  | 1000     | 1 each | Thu 8 Apr 09:00       |        |
| e9    | patient      | Gent   | 9000     | 1      | Thu 8 Apr 15:00       | doctor |
| e10   | self         | Liège  | 4000     | 1      | Fri 9 Apr 16:00       | agent  |
| r1    | self, refused| Gent   | 9000     | 1      | Tue 6 Apr 10:00       |        |
| r2    | self, refused| Liège  | 4000     | 1      | Fri 9 Apr 16:00       | agent  |
| out1  | self         | Gent   | 9000     | 1      | Sun 4 Apr 23:30       |        |
| out2  | self         | Gent   | 9000     | 1      | Mon 12 Apr 00:30      |        |

Invitations (sent times in UTC):

| inv | entry | centre | size | sent           | state    | answered |
|-----|-------|--------|------|----------------|----------|----------|
| i1  | e1    | Gent   | 1    | 8 Apr 12:00    | booked   | +10 min  |
| i2  | e5    | Gent   | 3    | 8 Apr 12:00    | booked   | +20 min  |
| i3  | e2    | Gent   | 1    | 8 Apr 12:05    | expired  |          |
| i4  | e7    | Liège  | 1    | 9 Apr 08:00    | booked   | +4 min   |
| i5  | e8    | Liège  | 1    | 9 Apr 08:00    | expired  |          |
| i6  | e6    | Liège  | 1    | 9 Apr 08:10    | declined |          |
| i7  | e3    | Gent   | 1    | not yet sent   | queued   |          |
| i8  | e4    | Gent   | 1    | 12 Apr 08:00   | booked   | +5 min   |
| i9  | erased| Gent   | 2    | 8 Apr 12:10    | booked   | +30 min  |
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.adapters.vcdb import EligibilityResult, EligibilityStatus
from app.extensions import db
from app.models import (
    Campaign,
    Centre,
    EntryKind,
    Invitation,
    InvitationState,
    Role,
)
from app.services import eligibility, entries, users
from tests.factories import make_ssin

BRUSSELS = ZoneInfo("Europe/Brussels")
GENT = "vl-gent-flanders-expo"
LIEGE = "wal-liege-feronstree"
FIRST, LAST = date(2021, 4, 5), date(2021, 4, 11)
PASSWORD = "Correct horse battery 9"


def brussels(day, hour, minute=0):
    return datetime.combine(date(2021, 4, day), time(hour, minute), BRUSSELS)


def utc(day, hour, minute=0):
    return datetime(2021, 4, day, hour, minute, tzinfo=UTC)


def centre_id(code):
    return db.session.scalar(select(Centre.id).where(Centre.code == code))


_serials = iter(range(1, 900))


def _person(serial=None):
    serial = serial or next(_serials)
    return entries.PersonData(
        ssin=make_ssin("450101", serial % 997 or 1),
        last_name="Peeters",
        first_name=f"Person {serial}",
        email=f"person{serial}@example.org",
        mobile="+32470123456",
    )


def register(
    kind,
    centre,
    postcode,
    moment,
    *,
    members=1,
    by=None,
    companion=False,
    status=EligibilityStatus.ELIGIBLE,
):
    data = entries.RegistrationData(
        person=_person(),
        postcode=postcode,
        language="nl",
        centre_ids=[centre_id(centre)],
        kind=kind,
    )
    entry = entries.register(data, now=moment.astimezone(UTC)).entry
    for _ in range(members - 1):
        member = entries.new_person(_person(), moment.astimezone(UTC))
        member.is_responsible = False
        entry.people.append(member)
    entry.is_companion = companion
    entry.registered_by_id = by
    db.session.flush()
    for person in entry.people:
        eligibility.apply_result(
            person,
            EligibilityResult(status=status),
            moment.astimezone(UTC),
        )
    entries.refresh_entry(entry)
    return entry


def campaign(centre, day):
    row = Campaign(
        centre_id=centre_id(centre),
        day=date(2021, 4, day),
        start_time=time(15),
        end_time=time(19),
        starts_at=utc(day, 13),
        ends_at=utc(day, 17),
        slots=10,
    )
    db.session.add(row)
    db.session.flush()
    return row


def invite(campaign_row, entry, size, state, sent_at, answered_after=None):
    row = Invitation(
        campaign_id=campaign_row.id,
        entry_id=entry.id if entry is not None else None,
        size=size,
        state=state,
        created_at=sent_at or utc(8, 11),
        sent_at=sent_at,
        expires_at=sent_at + timedelta(minutes=30) if sent_at else None,
        answered_at=(
            sent_at + timedelta(minutes=answered_after) if answered_after else None
        ),
    )
    db.session.add(row)
    return row


@dataclass
class Dataset:
    gent_id: int
    liege_id: int
    entry_ids: dict


def build():
    """Write the data set (in the current app context) and commit it."""
    global _serials
    _serials = iter(range(1, 900))
    doctor = users.create_user(
        "doctor@lmb.test", PASSWORD, Role.DOCTOR, riziv_number="10000000000"
    )
    agent = users.create_user("agent@lmb.test", PASSWORD, Role.AGENT)
    e = {}
    for name in ("e1", "e2", "e3"):
        e[name] = register(EntryKind.SELF, GENT, "9000", brussels(6, 10))
    e["e4"] = register(EntryKind.SELF, GENT, "9000", brussels(5, 0, 10))
    e["e5"] = register(EntryKind.GROUP, GENT, "9000", brussels(7, 11), members=3)
    e["e6"] = register(
        EntryKind.COMPANION, LIEGE, "4000", brussels(7, 12), companion=True
    )
    e["e7"] = register(EntryKind.THIRD_PARTY, LIEGE, "1000", brussels(8, 9))
    e["e8"] = register(EntryKind.THIRD_PARTY, LIEGE, "1000", brussels(8, 9))
    e["e9"] = register(EntryKind.PATIENT, GENT, "9000", brussels(8, 15), by=doctor.id)
    e["e10"] = register(EntryKind.SELF, LIEGE, "4000", brussels(9, 16), by=agent.id)
    # Refused by the check: nobody put on the list, so counted nowhere.
    e["r1"] = register(
        EntryKind.SELF, GENT, "9000", brussels(6, 10), status=EligibilityStatus.UNKNOWN
    )
    e["r2"] = register(
        EntryKind.SELF, LIEGE, "4000", brussels(9, 16), by=agent.id,
        status=EligibilityStatus.NOT_ELIGIBLE,
    )  # fmt: skip
    e["out1"] = register(EntryKind.SELF, GENT, "9000", brussels(4, 23, 30))
    e["out2"] = register(
        EntryKind.SELF, GENT, "9000", datetime(2021, 4, 12, 0, 30, tzinfo=BRUSSELS)
    )

    gent, liege = campaign(GENT, 8), campaign(LIEGE, 9)
    gent_later = campaign(GENT, 12)
    booked, expired = InvitationState.BOOKED, InvitationState.EXPIRED
    invite(gent, e["e1"], 1, booked, utc(8, 12), 10)
    invite(gent, e["e5"], 3, booked, utc(8, 12), 20)
    invite(gent, e["e2"], 1, expired, utc(8, 12, 5))
    invite(liege, e["e7"], 1, booked, utc(9, 8), 4)
    invite(liege, e["e8"], 1, expired, utc(9, 8))
    invite(liege, e["e6"], 1, InvitationState.DECLINED, utc(9, 8, 10))
    invite(gent, e["e3"], 1, InvitationState.QUEUED, None)
    invite(gent_later, e["e4"], 1, booked, utc(12, 8), 5)
    invite(gent, None, 2, booked, utc(8, 12, 10), 30)
    db.session.commit()
    return Dataset(
        gent_id=centre_id(GENT),
        liege_id=centre_id(LIEGE),
        entry_ids={name: entry.id for name, entry in e.items()},
    )
