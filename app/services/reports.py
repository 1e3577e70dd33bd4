"""Figures for the people who run LMB: registrations, invitations, bookings.

Every figure is a count over a period of whole days in Europe/Brussels
(`Period`), for all centres or for one (`centre_id`). Counts are computed from
the rows as they are now: nothing here needs a name, a national number or any
other identity, only kinds, states, postcodes and times.

Small counts: a count of 1 to 4 is shown as "<5" (`shown`) in anything
exported and on every screen below the operator level, so that nobody can
single out a person from a report. Zero stays zero.

Erasure: app.services.retention erases an entry after booking, withdrawal or
lapse, and adds its counts to `ErasureTally` first; `_erased` adds those
tallies back, so the figures of a period stay the same after erasure.
# Limitation: the per-day figures and the regional spread of invited people
# come back only as far as the tally keeps them (day, postcode, kind, centre);
# an invitation whose entry was erased without a tally counts as "unknown".
"""

import json
import logging
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEvent,
    Campaign,
    Entry,
    EntryCentre,
    EntryKind,
    EntryState,
    Invitation,
    InvitationState,
    Person,
    PostcodeArea,
    Role,
    StaffUser,
)
from app.services import retention

logger = logging.getLogger(__name__)

BRUSSELS = ZoneInfo("Europe/Brussels")
SMALL_COUNT = 5
SMALL_TEXT = "<5"
MAX_DAYS = 366
UNKNOWN = "unknown"

KIND_LABELS = {
    EntryKind.SELF: _l("Self"),
    EntryKind.GROUP: _l("Group"),
    EntryKind.COMPANION: _l("Companion"),
    EntryKind.THIRD_PARTY: _l("Third party"),
    EntryKind.PATIENT: _l("Patient of a doctor"),
    EntryKind.DIRECT: _l("Direct slot"),
}
STATE_LABELS = {
    InvitationState.QUEUED: _l("Being sent"),
    InvitationState.SENT: _l("Waiting for a booking"),
    InvitationState.BOOKED: _l("Booked"),
    InvitationState.EXPIRED: _l("Expired"),
    InvitationState.DECLINED: _l("Declined"),
    InvitationState.UNDELIVERABLE: _l("Undeliverable"),
    InvitationState.CANCELLED: _l("Cancelled"),
}
REGION_LABELS = {
    "Flanders": _l("Flanders"),
    "Wallonia": _l("Wallonia"),
    "Brussels": _l("Brussels"),
    "German-speaking": _l("German-speaking Community"),
    UNKNOWN: _l("Unknown"),
}


def shown(count, exact=False):
    """`count` as text; 1 to 4 become "<5" unless `exact`."""
    if count is None:
        return "–"
    if not exact and 0 < count < SMALL_COUNT:
        return SMALL_TEXT
    return str(count)


@dataclass(frozen=True)
class Period:
    """Whole days `first` to `last`, both included, in Europe/Brussels."""

    first: date
    last: date

    @property
    def starts_at(self):
        return datetime.combine(self.first, time(), BRUSSELS).astimezone(UTC)

    @property
    def ends_at(self):
        """The first instant after the period (exclusive bound)."""
        next_day = self.last + timedelta(days=1)
        return datetime.combine(next_day, time(), BRUSSELS).astimezone(UTC)

    @property
    def days(self):
        return (self.last - self.first).days + 1

    def each_day(self):
        return [self.first + timedelta(days=n) for n in range(self.days)]

    @classmethod
    def last_days(cls, count, now=None):
        today = local_date(now)
        return cls(today - timedelta(days=count - 1), today)


def local_date(moment=None):
    return (moment or datetime.now(UTC)).astimezone(BRUSSELS).date()


def period_error(first, last):
    """Why `first`–`last` is not a valid report period, or None."""
    if first is None or last is None:
        return _l("Enter both dates.")
    if first > last:
        return _l("The start date must be on or before the end date.")
    if (last - first).days + 1 > MAX_DAYS:
        return _l("Choose a period of at most %(days)s days.", days=MAX_DAYS)
    return None


@dataclass
class Spread:
    """People per region, province and postcode (postcode -> count)."""

    by_region: dict = field(default_factory=dict)
    by_province: dict = field(default_factory=dict)
    by_postcode: dict = field(default_factory=dict)


@dataclass
class Report:
    period: Period
    centre_id: int | None
    people_registered: int = 0
    entries_registered: int = 0
    people_by_kind: dict = field(default_factory=dict)
    people_by_day: dict = field(default_factory=dict)
    groups: int = 0
    people_in_groups: int = 0
    companions: int = 0
    third_party_people: int = 0
    doctor_registrations: int = 0
    agent_registrations: int = 0
    invitations_sent: int = 0
    people_invited: int = 0
    third_party_invitations: int = 0
    invitations_by_state: dict = field(default_factory=dict)
    booked: int = 0
    doses_booked: int = 0
    expired: int = 0
    booking_rate: float | None = None
    median_minutes_to_book: float | None = None
    registered_spread: Spread = field(default_factory=Spread)
    invited_spread: Spread = field(default_factory=Spread)
    # postcode -> people, before they are grouped into regions and provinces.
    registered_postcodes: dict = field(default_factory=dict, repr=False)
    invited_postcodes: dict = field(default_factory=dict, repr=False)


def build_report(period, centre_id=None):
    """Every figure of the report over `period`, for one centre or all."""
    report = Report(period=period, centre_id=centre_id)
    _registrations(report)
    _invitations(report)
    _erased(report)
    report.registered_spread = spread(report.registered_postcodes.items())
    report.invited_spread = spread(report.invited_postcodes.items())
    return report


def _in_period(column, period):
    return (column >= period.starts_at) & (column < period.ends_at)


def _entry_scope(centre_id):
    """A condition on Entry: chose the centre (always true for all centres)."""
    if centre_id is None:
        return True
    chose = select(EntryCentre.entry_id).where(EntryCentre.centre_id == centre_id)
    return Entry.id.in_(chose)


# Registered: people whose registration was accepted, when they registered.
# A registration the check refused puts nobody on the list.
_accepted = Person.accepted_at.is_not(None)


def _registrations(report):
    period, scope = report.period, _entry_scope(report.centre_id)

    # People registered, by kind, companion flag and registering role.
    rows = db.session.execute(
        select(
            Entry.kind,
            Entry.is_companion,
            StaffUser.role,
            func.count(func.distinct(Entry.id)),
            func.count(Person.id),
        )
        .join(Person, Person.entry_id == Entry.id)
        .outerjoin(StaffUser, StaffUser.id == Entry.registered_by_id)
        .where(_in_period(Person.created_at, period), _accepted, scope)
        .group_by(Entry.kind, Entry.is_companion, StaffUser.role)
    ).all()
    for kind, is_companion, role, entries, people in rows:
        report.people_registered += people
        report.entries_registered += entries
        report.people_by_kind[kind] = report.people_by_kind.get(kind, 0) + people
        if kind == EntryKind.GROUP:
            report.groups += entries
            report.people_in_groups += people
        if is_companion:
            report.companions += people
        if kind == EntryKind.THIRD_PARTY:
            report.third_party_people += people
        if role == Role.DOCTOR:
            report.doctor_registrations += people
        elif role == Role.AGENT:
            report.agent_registrations += people

    # Per day, in Brussels time (times only, no identities).
    report.people_by_day = dict.fromkeys(period.each_day(), 0)
    for (created_at,) in db.session.execute(
        select(Person.created_at)
        .join(Entry, Entry.id == Person.entry_id)
        .where(_in_period(Person.created_at, period), _accepted, scope)
    ):
        report.people_by_day[local_date(created_at)] += 1

    report.registered_postcodes = dict(
        db.session.execute(
            select(Entry.postcode, func.count(Person.id))
            .join(Person, Person.entry_id == Entry.id)
            .where(_in_period(Person.created_at, period), _accepted, scope)
            .group_by(Entry.postcode)
        ).all()
    )


def _invitations(report):
    period = report.period
    conditions = [
        Invitation.sent_at.is_not(None),
        _in_period(Invitation.sent_at, period),
    ]
    if report.centre_id is not None:
        conditions.append(Campaign.centre_id == report.centre_id)
    rows = db.session.execute(
        select(
            Invitation.state,
            Invitation.size,
            Invitation.sent_at,
            Invitation.answered_at,
            Entry.kind,
            Entry.postcode,
        )
        .join(Campaign, Campaign.id == Invitation.campaign_id)
        .outerjoin(Entry, Entry.id == Invitation.entry_id)
        .where(*conditions)
    ).all()

    minutes, postcodes = [], {}
    for state, size, sent_at, answered_at, kind, postcode in rows:
        report.invitations_sent += 1
        report.people_invited += size
        report.invitations_by_state[state] = (
            report.invitations_by_state.get(state, 0) + 1
        )
        if kind == EntryKind.THIRD_PARTY:
            report.third_party_invitations += 1
        if state == InvitationState.BOOKED:
            report.booked += 1
            report.doses_booked += size
            if answered_at is not None:
                minutes.append((answered_at - sent_at).total_seconds() / 60)
        elif state == InvitationState.EXPIRED:
            report.expired += 1
        key = postcode or UNKNOWN
        postcodes[key] = postcodes.get(key, 0) + size

    if report.invitations_sent:
        report.booking_rate = report.booked / report.invitations_sent
    if minutes:
        report.median_minutes_to_book = statistics.median(minutes)
    report.invited_postcodes = postcodes


def _erased(report):
    """Add what app.services.retention tallied when it erased entries.

    Registrations: the erased people count as if their rows were still
    there. Invitations are kept at erasure and were counted already; the
    tally only gives back the kind and postcode their entries had.
    """
    period, centre_id = report.period, report.centre_id
    for row in retention.tally(
        retention.TALLY_REGISTERED, period.first, period.last, centre_id
    ):
        report.people_registered += row.people
        report.entries_registered += row.entries
        report.people_by_kind[row.kind] = (
            report.people_by_kind.get(row.kind, 0) + row.people
        )
        if row.kind == EntryKind.GROUP:
            report.groups += row.entries
            report.people_in_groups += row.people
        if row.is_companion:
            report.companions += row.people
        if row.kind == EntryKind.THIRD_PARTY:
            report.third_party_people += row.people
        if row.registered_by_role == Role.DOCTOR:
            report.doctor_registrations += row.people
        elif row.registered_by_role == Role.AGENT:
            report.agent_registrations += row.people
        if row.day in report.people_by_day:
            report.people_by_day[row.day] += row.people
        postcodes = report.registered_postcodes
        postcodes[row.postcode] = postcodes.get(row.postcode, 0) + row.people

    invited = report.invited_postcodes
    for row in retention.tally(
        retention.TALLY_INVITED, period.first, period.last, centre_id
    ):
        if row.kind == EntryKind.THIRD_PARTY:
            report.third_party_invitations += row.entries
        moved = min(row.people, invited.get(UNKNOWN, 0))
        if moved:
            invited[UNKNOWN] -= moved
            invited[row.postcode] = invited.get(row.postcode, 0) + moved
    if invited.get(UNKNOWN) == 0:
        del invited[UNKNOWN]


def postcode_regions():
    """postcode -> (region, province in Dutch and French, or "")."""
    places = {}
    for postcode, region, province_nl, province_fr in db.session.execute(
        select(
            PostcodeArea.postcode,
            PostcodeArea.region,
            PostcodeArea.province_nl,
            PostcodeArea.province_fr,
        ).order_by(PostcodeArea.postcode, PostcodeArea.nis_code)
    ):
        places.setdefault(postcode, (region, province_nl, province_fr))
    return places


def spread(postcode_counts):
    """Region, province and postcode totals from (postcode, count) pairs.

    A postcode spanning two municipalities counts once, in the region and
    province of its first municipality. Brussels has no province: its people
    count under the region's name. Provinces are keyed by their Dutch name.
    """
    places = postcode_regions()
    result = Spread()
    for postcode, count in postcode_counts:
        if not count:
            continue
        region, province, _fr = places.get(postcode, (UNKNOWN, "", ""))
        province = province or region
        result.by_region[region] = result.by_region.get(region, 0) + count
        result.by_province[province] = result.by_province.get(province, 0) + count
        result.by_postcode[postcode] = result.by_postcode.get(postcode, 0) + count
    return result


# Public figures -------------------------------------------------------------

ON_THE_LIST = (EntryState.PENDING, EntryState.ACTIVE, EntryState.PAUSED)


@dataclass(frozen=True)
class PublicFigures:
    people_on_list: int
    invitations_sent: int
    doses_booked: int
    centres_taking_part: int
    computed_at: datetime

    def to_dict(self):
        return {
            "people_on_list": self.people_on_list,
            "invitations_sent": self.invitations_sent,
            "doses_booked": self.doses_booked,
            "centres_taking_part": self.centres_taking_part,
            "computed_at": self.computed_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data):
        return cls(
            people_on_list=int(data["people_on_list"]),
            invitations_sent=int(data["invitations_sent"]),
            doses_booked=int(data["doses_booked"]),
            centres_taking_part=int(data["centres_taking_part"]),
            computed_at=datetime.fromisoformat(data["computed_at"]),
        )


def public_figures(now=None):
    """Totals since the start, for everyone to see; no personal data.

    People on the list: people in entries waiting for their check, active
    or paused. Invitations sent: every invitation handed to mail or SMS.
    Doses booked: places booked through an invitation (a group books one per
    member). Centres taking part: centres with at least one campaign.
    """
    people = db.session.scalar(
        select(func.count(Person.id))
        .join(Entry, Entry.id == Person.entry_id)
        .where(Entry.state.in_(ON_THE_LIST))
    )
    sent = db.session.scalar(
        select(func.count(Invitation.id)).where(Invitation.sent_at.is_not(None))
    )
    doses = db.session.scalar(
        select(func.coalesce(func.sum(Invitation.size), 0)).where(
            Invitation.state == InvitationState.BOOKED
        )
    )
    centres = db.session.scalar(select(func.count(func.distinct(Campaign.centre_id))))
    return PublicFigures(
        people_on_list=people or 0,
        invitations_sent=sent or 0,
        doses_booked=int(doses or 0),
        centres_taking_part=centres or 0,
        computed_at=now or datetime.now(UTC),
    )


FIGURES_MAX_AGE = 3600  # seconds


def cached_public_figures(connection, key, now=None, max_age=FIGURES_MAX_AGE):
    """The public figures from the Redis cache, computed when missing or older
    than `max_age` seconds; computed directly when Redis is unavailable."""
    now = now or datetime.now(UTC)
    try:
        raw = connection.get(key)
    except RedisError:
        logger.warning("public figures: Redis unavailable, computing directly")
        return public_figures(now)
    if raw:
        try:
            figures = PublicFigures.from_dict(json.loads(raw))
        except (ValueError, KeyError, TypeError):
            figures = None
        if figures and (now - figures.computed_at).total_seconds() < max_age:
            return figures
    figures = public_figures(now)
    try:
        connection.set(key, json.dumps(figures.to_dict()), ex=max_age)
    except RedisError:
        logger.warning("public figures: could not cache in Redis")
    return figures


# The audit trail ----------------------------------------------------------------

AUDIT_PAGE_SIZE = 50


@dataclass
class AuditPage:
    events: list  # [(AuditEvent, username or None)]
    total: int
    page: int
    pages: int


def audit_events(
    entry_id=None, actor=None, first=None, last=None, page=1, size=AUDIT_PAGE_SIZE
):
    """Audit events, newest first, filtered by entry, actor (username or
    account number) and days (Europe/Brussels, both included)."""
    conditions = []
    if entry_id is not None:
        conditions.append(AuditEvent.entry_id == entry_id)
    if actor:
        actor = actor.strip()
        if actor.isdigit():
            conditions.append(AuditEvent.actor_id == int(actor))
        else:
            conditions.append(func.lower(StaffUser.username) == actor.lower())
    if first is not None:
        conditions.append(AuditEvent.at >= Period(first, first).starts_at)
    if last is not None:
        conditions.append(AuditEvent.at < Period(last, last).ends_at)

    base = (
        select(AuditEvent, StaffUser.username)
        .outerjoin(StaffUser, StaffUser.id == AuditEvent.actor_id)
        .where(*conditions)
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        base.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return AuditPage(
        events=[tuple(row) for row in rows], total=total, page=page, pages=pages
    )
