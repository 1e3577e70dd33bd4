"""Last-minute campaigns: opening one, its invitation waves, its end.

A centre opens a campaign for a window of one day (Europe/Brussels wall
clock; stored as UTC instants too) with a number of slots. Waves of
invitations then fill it: each wave invites, in rank order
(app.services.ranking), as many people as there is room for:

    room = (slots - people booked) * per_slot - people holding an open invitation

per_slot is 1 unless staff raise it when time runs short. A wave re-checks
each candidate with the vaccination code database just before inviting;
when the database is down, the stored status and code are used. A wave is
started when the campaign opens, whenever an invitation ends without a
booking (expired, declined, undeliverable, withdrawn), by staff, and every
minute by the sweep; it is idempotent, and waves of one campaign run one
after the other (the campaign row is locked while they insert).

The database's constraints are the last word: an entry is never invited
twice by one campaign, nor holds two open invitations anywhere, so a
duplicated job or two campaigns at the same instant cannot invite anyone
twice. A candidate refused by a constraint is passed over.

No invitation is written when too little time is left: once
now + margin > end, the campaign stops inviting. When every slot is booked
the campaign is FULL and the invitations still open are withdrawn (their
holders told they stay on the list). At its end an OPEN campaign is CLOSED.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.adapters.vcdb import VaccinationCodeServiceUnavailable
from app.extensions import db
from app.models import (
    AuditEvent,
    Campaign,
    CampaignState,
    Entry,
    EntryState,
    Invitation,
    InvitationState,
)
from app.services import eligibility, entries, invitations, ranking
from app.services.availability import BRUSSELS, parts_mask
from app.services.errors import DomainError

logger = logging.getLogger(__name__)

MAX_DAYS_AHEAD = 14
MAX_SLOTS = 500
MAX_MIN_AGE = 120
DEFAULT_MARGIN = 30
MIN_MARGIN, MAX_MARGIN = 5, 180
MAX_PER_SLOT = 5
# Rounds of one wave: a round that only passes people over (no longer
# eligible, invited elsewhere meanwhile) is followed by another.
MAX_ROUNDS = 20
RECHECK_THREADS = 8
# Units one wave invites: few in a campaign's first, so that its first
# invitations reach the outbox within moments of the opening, more after.
# A wave that leaves room asks for another one, which queues behind the
# delivery of the invitations it wrote: one worker alternates between them.
FIRST_WAVE_UNITS = 10
WAVE_UNITS = 100


class InvalidCampaign(DomainError):
    """Every problem with a campaign request: `problems` is [(field, message)]."""

    def __init__(self, problems):
        field, message = problems[0]
        super().__init__(message, field)
        self.problems = problems


@dataclass(frozen=True)
class CampaignRequest:
    centre_id: int
    day: date | None
    start_time: time | None
    end_time: time | None
    slots: int | None
    min_age: int | None = None
    margin_minutes: int | None = DEFAULT_MARGIN


@dataclass(frozen=True)
class Counts:
    """People (not invitations) per state, except `invitations`."""

    slots: int
    per_slot: int
    invitations: int
    invited: int
    waiting: int  # holding an open invitation
    booked: int
    expired: int
    declined: int
    undeliverable: int
    cancelled: int

    @property
    def remaining(self):
        """Slots not yet booked."""
        return max(0, self.slots - self.booked)

    @property
    def beyond_slots(self):
        """People booked beyond the slots (per_slot raised, late bookings)."""
        return max(0, self.booked - self.slots)

    @property
    def room(self):
        """People the next wave may invite."""
        return max(0, self.remaining * self.per_slot - self.waiting)


# Opening ----------------------------------------------------------------------


def brussels_instant(day, wall_time):
    """The UTC instant of a Brussels wall-clock time, or None when that time
    does not exist (skipped when the clocks go forward). A time that occurs
    twice (clocks go back) is its first occurrence."""
    local = datetime.combine(day, wall_time, tzinfo=BRUSSELS)
    instant = local.astimezone(UTC)
    back = instant.astimezone(BRUSSELS)
    if (back.date(), back.time()) != (day, wall_time):
        return None
    return instant


def allowed_days(now):
    """The first and last day a campaign opened at `now` may be on."""
    today = now.astimezone(BRUSSELS).date()
    return today, today + timedelta(days=MAX_DAYS_AHEAD)


def problems(request, now):
    """What is wrong with `request` at `now`: [(field, message)], in form order."""
    found = []
    today, last_day = allowed_days(now)
    day, start, end = request.day, request.start_time, request.end_time
    margin = request.margin_minutes

    if day is None:
        found.append(("day", _l("Enter the date of the campaign.")))
    elif day < today:
        found.append(("day", _l("This date has passed. Choose today or a later day.")))
    elif day > last_day:
        found.append(("day", _l("Choose a date at most 14 days from today.")))
    if start is None:
        found.append(("start_time", _l("Enter the time the campaign starts.")))
    if end is None:
        found.append(("end_time", _l("Enter the time the campaign ends.")))
    elif start is not None and end <= start:
        found.append(("end_time", _l("The end must be later than the start.")))
    elif start is not None and not parts_mask(start, end):
        found.append(
            (
                "start_time",
                _l(
                    "People can only be invited for 08:00 to 22:00. Choose a "
                    "window that overlaps those hours."
                ),
            )
        )
    if request.slots is None or not 1 <= request.slots <= MAX_SLOTS:
        found.append(("slots", _l("Enter a number of slots from 1 to 500.")))
    if request.min_age is not None and not 0 <= request.min_age <= MAX_MIN_AGE:
        found.append(
            ("min_age", _l("Enter a minimum age from 0 to 120, or leave it empty."))
        )
    if margin is None or not MIN_MARGIN <= margin <= MAX_MARGIN:
        found.append(("margin_minutes", _l("Enter a margin from 5 to 180 minutes.")))
    if found:
        return found

    for field, wall in (("start_time", start), ("end_time", end)):
        if brussels_instant(day, wall) is None:
            found.append(
                (
                    field,
                    _l(
                        "This time does not exist on that day: the clocks go "
                        "forward an hour. Choose another time."
                    ),
                )
            )
    if found:
        return found
    lead = margin + invitations.BOOKING_WINDOW // timedelta(minutes=1)
    if brussels_instant(day, end) < now + timedelta(minutes=lead):
        found.append(
            (
                "end_time",
                _l(
                    "The campaign must end at least %(minutes)s minutes from "
                    "now: the margin plus 30 minutes to book.",
                    minutes=lead,
                ),
            )
        )
    return found


def open_campaign(request, *, actor, now):
    """Validate and add a campaign (not committed); raise InvalidCampaign.

    The caller commits, then starts its first wave (jobs.campaigns)."""
    found = problems(request, now)
    if found:
        raise InvalidCampaign(found)
    campaign = Campaign(
        centre_id=request.centre_id,
        day=request.day,
        start_time=request.start_time,
        end_time=request.end_time,
        starts_at=brussels_instant(request.day, request.start_time),
        ends_at=brussels_instant(request.day, request.end_time),
        slots=request.slots,
        min_age=request.min_age,
        margin_minutes=request.margin_minutes,
        per_slot=1,
        state=CampaignState.OPEN,
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
    )
    db.session.add(campaign)
    db.session.flush()
    _audit(actor, "campaign_opened", campaign, now)
    invitations.after_commit_wave(campaign.id)
    logger.info("campaign %s opened for centre %s", campaign.id, campaign.centre_id)
    return campaign


# Reading ----------------------------------------------------------------------


def counts(campaign):
    rows = db.session.execute(
        select(
            Invitation.state,
            func.count(),
            func.coalesce(func.sum(Invitation.size), 0),
        )
        .where(Invitation.campaign_id == campaign.id)
        .group_by(Invitation.state)
    ).all()
    people = {state: int(total) for state, _, total in rows}
    return Counts(
        slots=campaign.slots,
        per_slot=campaign.per_slot,
        invitations=sum(number for _, number, _ in rows),
        invited=sum(people.values()),
        waiting=sum(people.get(state, 0) for state in InvitationState.OPEN),
        booked=people.get(InvitationState.BOOKED, 0),
        expired=people.get(InvitationState.EXPIRED, 0),
        declined=people.get(InvitationState.DECLINED, 0),
        undeliverable=people.get(InvitationState.UNDELIVERABLE, 0),
        cancelled=people.get(InvitationState.CANCELLED, 0),
    )


def accepts_invitations(campaign, now):
    """Whether a wave may still invite: open, and the margin not yet reached."""
    return (
        campaign.state == CampaignState.OPEN
        and now + timedelta(minutes=campaign.margin_minutes) <= campaign.ends_at
    )


def nobody_left(campaign, counted, now):
    """True when an inviting campaign has room and nobody in line fits it:
    staff see that no more invitations go out until someone new can come
    (or an invitation still waiting is declined or expires)."""
    if not accepts_invitations(campaign, now) or counted.room <= 0:
        return False
    return not _next_units(campaign, counted.room, set())


def campaigns_of(centre_id, limit=50):
    """The centre's campaigns, the latest day first."""
    return db.session.scalars(
        select(Campaign)
        .where(Campaign.centre_id == centre_id)
        .order_by(Campaign.day.desc(), Campaign.start_time.desc(), Campaign.id.desc())
        .limit(limit)
    ).all()


def invitations_of(campaign):
    return db.session.scalars(
        select(Invitation)
        .where(Invitation.campaign_id == campaign.id)
        .order_by(Invitation.id)
    ).all()


def open_invitations(campaign_id):
    return db.session.scalars(
        select(Invitation)
        .where(
            Invitation.campaign_id == campaign_id,
            Invitation.state.in_(InvitationState.OPEN),
        )
        .order_by(Invitation.id)
    ).all()


# Waves ------------------------------------------------------------------------


def invite_wave(campaign_id, *, service, links, now):
    """Invite the next people in line for the room the campaign has.

    Commits what it writes. Returns the ids of the invitations written. Safe
    to run twice or alongside another campaign's wave: it invites nobody
    twice. Writes at most FIRST_WAVE_UNITS (the campaign's first wave) or
    WAVE_UNITS units; when room is left, another wave follows.
    """
    if settle_full(campaign_id, service=service, now=now):
        db.session.commit()
        return []
    written = []
    passed_over = set()
    service_down = False
    limit = None
    for _ in range(MAX_ROUNDS):
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None or not accepts_invitations(campaign, now):
            break
        counted = counts(campaign)
        if counted.room <= 0:
            break
        if limit is None:
            limit = WAVE_UNITS if counted.invitations else FIRST_WAVE_UNITS
        if len(written) >= limit:  # room left: another wave, after these
            invitations.after_commit_wave(campaign_id)
            db.session.commit()
            break
        chosen = _next_units(campaign, counted.room, passed_over)
        chosen = chosen[: limit - len(written)]
        if not chosen:
            break
        to_check = _people_to_check(chosen)
        db.session.rollback()  # no transaction stays open during the HTTP calls

        results, service_down = _recheck(service, to_check, service_down)
        created, skipped = _invite(campaign_id, chosen, results, links, now)
        db.session.commit()
        written += created
        passed_over |= skipped
        if not created and not skipped:
            break
    db.session.rollback()
    logger.info(
        "campaign %s wave: %d invitation(s)%s",
        campaign_id,
        len(written),
        ", stored eligibility used" if service_down else "",
    )
    return written


def _next_units(campaign, room, passed_over):
    """ranking.rank_for_campaign, without the units passed over in this wave."""
    limit = room + len(passed_over) + 20
    while True:
        found = ranking.candidates(
            db.session,
            centre_id=campaign.centre_id,
            day=campaign.day,
            start_time=campaign.start_time,
            end_time=campaign.end_time,
            min_age=campaign.min_age,
            campaign_id=campaign.id,
            limit=limit,
        )
        kept = [c for c in found if c.entry_id not in passed_over]
        chosen = ranking.choose(kept, room)
        if len(found) < limit or sum(c.size for c in chosen) >= room:
            return chosen
        limit *= 4


def _people_to_check(chosen):
    """[(person id, national number)] of the members who would be invited."""
    ids = [c.entry_id for c in chosen]
    people = []
    for entry in db.session.scalars(select(Entry).where(Entry.id.in_(ids))):
        people += [(p.id, p.ssin) for p in invitations.invited_members(entry)]
    return people


def _recheck(service, people, already_down):
    """Ask the database about each person, in parallel: ({person id: result},
    whether it is down). Once one call finds it down, no more are made."""
    if already_down or not people:
        return {}, already_down
    down = threading.Event()

    def ask(person):
        if down.is_set():
            return None
        try:
            return service.check_eligibility(person[1])
        except VaccinationCodeServiceUnavailable:
            down.set()
            return None

    with ThreadPoolExecutor(max_workers=min(RECHECK_THREADS, len(people))) as pool:
        answers = list(pool.map(ask, people))
    results = {
        person_id: answer
        for (person_id, _), answer in zip(people, answers, strict=True)
        if answer is not None
    }
    return results, down.is_set()


def _invite(campaign_id, chosen, results, links, now):
    """Under the campaign's lock: invite `chosen` while there is room.
    Returns (invitation ids written, entry ids passed over)."""
    created, skipped = [], set()
    campaign = invitations.locked(Campaign, campaign_id)
    if campaign is None or not accepts_invitations(campaign, now):
        return created, skipped
    room = counts(campaign).room
    for candidate in chosen:
        entry = db.session.get(Entry, candidate.entry_id)
        if entry is None or entry.state != EntryState.ACTIVE:
            skipped.add(candidate.entry_id)
            continue
        for person in entry.people:
            if person.id in results:
                eligibility.apply_result(person, results[person.id], now)
        entries.refresh_entry(entry)
        members = invitations.invited_members(entry)
        if entry.state != EntryState.ACTIVE or not members or len(members) > room:
            skipped.add(candidate.entry_id)
            continue
        invitation = _insert(campaign, entry, len(members), now)
        if invitation is None:
            skipped.add(candidate.entry_id)
            continue
        invitations.queue_invitation(invitation, entry, members, links, now)
        room -= len(members)
        created.append(invitation.id)
    return created, skipped


def _insert(campaign, entry, size, now):
    """The new QUEUED invitation, or None when a constraint refuses it (the
    entry was invited meanwhile, by this campaign or holds one elsewhere)."""
    db.session.flush()  # a refused insert must not take other changes with it
    invitation = Invitation(
        campaign_id=campaign.id,
        entry_id=entry.id,
        size=size,
        state=InvitationState.QUEUED,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(invitation)
    except IntegrityError:
        logger.info(
            "campaign %s: entry %s already invited, passed over", campaign.id, entry.id
        )
        return None
    return invitation


# Full, closed, ended -----------------------------------------------------------


def settle_full(campaign_id, *, service, now):
    """When every slot is booked: FULL, and the open invitations withdrawn
    (their holders told they stay on the list). Someone who booked anyway is
    counted as booked. Returns True when it became FULL now; does not commit."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.state != CampaignState.OPEN:
        return False
    if counts(campaign).booked < campaign.slots:
        return False
    questions = invitations.booking_questions(open_invitations(campaign_id))
    db.session.rollback()
    answers = invitations.booking_answers(service, questions)

    campaign = invitations.locked(Campaign, campaign_id)
    if campaign is None or campaign.state != CampaignState.OPEN:
        return False
    campaign.state = CampaignState.FULL
    campaign.closed_at = now
    for invitation in open_invitations(campaign_id):
        invitation = invitations.locked(Invitation, invitation.id)
        booked_at = answers.get(invitation.id)
        if invitation.state == InvitationState.SENT and booked_at is not None:
            invitations.mark_booked(invitation, booked_at, now)
        else:
            invitations.cancel(
                invitation, reason=invitations.CancelReason.FULL, now=now
            )
    logger.info("campaign %s full", campaign_id)
    return True


def close_campaign(campaign_id, *, actor, now):
    """Staff close the campaign: no more invitations, open ones withdrawn
    with a message. Returns False if it was closed already; does not commit."""
    campaign = invitations.locked(Campaign, campaign_id)
    if campaign is None or campaign.state == CampaignState.CLOSED:
        return False
    campaign.state = CampaignState.CLOSED
    campaign.closed_at = now
    # Limitation: the database is not asked whether the holders booked (a
    # staff click must not wait for it): someone who did is counted as
    # withdrawn, unless the booking system's callback reports the booking;
    # their message says an appointment already booked stays valid.
    for invitation in open_invitations(campaign_id):
        invitation = invitations.locked(Invitation, invitation.id)
        invitations.cancel(invitation, reason=invitations.CancelReason.CLOSED, now=now)
    _audit(actor, "campaign_closed", campaign, now)
    logger.info("campaign %s closed by staff", campaign_id)
    return True


def close_ended(now):
    """Close the OPEN campaigns whose end has passed; return their ids.

    Their last invitations are settled by their own expiry checks."""
    ids = db.session.scalars(
        select(Campaign.id).where(
            Campaign.state == CampaignState.OPEN, Campaign.ends_at <= now
        )
    ).all()
    for campaign_id in ids:
        campaign = invitations.locked(Campaign, campaign_id)
        if campaign.state == CampaignState.OPEN:
            campaign.state = CampaignState.CLOSED
            campaign.closed_at = now
    return ids


def inviting(now):
    """Ids of the campaigns that may still invite and have room (for the sweep)."""
    campaigns = db.session.scalars(
        select(Campaign).where(
            Campaign.state == CampaignState.OPEN, Campaign.ends_at > now
        )
    ).all()
    return [
        c.id for c in campaigns if accepts_invitations(c, now) and counts(c).room > 0
    ]


# Staff actions -------------------------------------------------------------------


def set_per_slot(campaign_id, per_slot, *, actor, now):
    """People invited per free slot (1-5); more start a wave. Does not commit."""
    campaign = invitations.locked(Campaign, campaign_id)
    if campaign is None or campaign.state != CampaignState.OPEN:
        raise DomainError(_l("This campaign no longer invites anyone."), "per_slot")
    if per_slot is None or not 1 <= per_slot <= MAX_PER_SLOT:
        raise DomainError(_l("Choose from 1 to 5 people per slot."), "per_slot")
    campaign.per_slot = per_slot
    _audit(actor, "campaign_per_slot", campaign, now, f"per_slot {per_slot}")
    invitations.after_commit_wave(campaign.id)
    return campaign


NO_ROOM = "no_room"
NOBODY_LEFT = "nobody_left"
INVITING = "inviting"


def invite_more(campaign_id, *, actor, now):
    """Staff ask for a wave now. Returns what staff are told: NO_ROOM (every
    free slot has an open invitation: raise per_slot), NOBODY_LEFT (room, but
    nobody in line fits it) or INVITING. Does not commit."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not accepts_invitations(campaign, now):
        raise DomainError(_l("This campaign no longer invites anyone."))
    counted = counts(campaign)
    _audit(actor, "campaign_invite_more", campaign, now)
    invitations.after_commit_wave(campaign.id)
    if counted.room <= 0:
        return NO_ROOM
    return NOBODY_LEFT if nobody_left(campaign, counted, now) else INVITING


def _audit(actor, action, campaign, now, extra=None):
    detail = f"campaign {campaign.id}" + (f" {extra}" if extra else "")
    db.session.add(
        AuditEvent(
            at=now,
            actor_id=actor.id if actor is not None else None,
            actor_role=actor.role if actor is not None else None,
            action=action,
            detail=detail,
        )
    )
