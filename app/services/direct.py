"""Direct slots (situation a): open moments, claims, and what follows a claim.

A centre announces an open moment (a day at most five days ahead, a from-to
time, a number of slots). A person claims a slot of it with their personal
data: `claim_moment` takes the slot with one conditional UPDATE, so any
number of simultaneous claims never over-fills a moment, and stores a
`DirectClaim` with a new entry of kind 'direct'. A job then checks
eligibility (`decide_claim`): an eligible person is confirmed at once (the
confirmation e-mail, with the vaccination code, and a `BookingNotification`
for the regular booking system are written in the same transaction); anyone
else gets the slot released (`claimed - 1`) and an e-mail saying why.

A national number already on the list cannot claim through a second entry:
its claim is refused the same way (asynchronously, so the page does not
tell), and the explanation goes to the address already registered. A person
whose earlier direct claim was refused, or whose moment has passed, may
claim again with the same entry.
"""

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from app import links
from app.extensions import db
from app.models import (
    BookingNotification,
    Centre,
    ClaimReason,
    ClaimState,
    DirectClaim,
    Eligibility,
    Entry,
    EntryKind,
    EntryState,
    MomentState,
    NotificationState,
    OpenMoment,
)
from app.services import availability, outbox
from app.services.availability import BRUSSELS
from app.services.centres import centres_for_postcode
from app.services.entries import PersonData, find_registered_person, new_person
from app.services.errors import DomainError

logger = logging.getLogger(__name__)

HORIZON_DAYS = 5  # a moment lies today or at most five days ahead
MAX_SLOTS = 500
# A moment can be claimed until this long before it ends.
CLAIM_MARGIN = timedelta(minutes=30)
# How long the status page of a claim stays readable.
CLAIM_TTL = timedelta(days=2)
# Pause before the next eligibility check, by failed attempts so far.
CHECK_BACKOFF = (30, 60, 120, 300, 600, 900)
# Pause before sending a notification again, by failed attempts so far; the
# last one repeats until the booking system answers.
NOTIFY_BACKOFF = (30, 60, 120, 300, 600, 1800)


# Announcing moments (centre staff) -------------------------------------------


def moment_days(now=None):
    """The days a moment may be announced for: today and the next five."""
    today = availability.local_now(now).date()
    return [today + timedelta(days=n) for n in range(HORIZON_DAYS + 1)]


def local_instant(day, moment_time):
    return datetime.combine(day, moment_time, tzinfo=BRUSSELS).astimezone(UTC)


def announce_moment(
    *, centre_id, day, start_time, end_time, slots, created_by_id, now=None
):
    """Add an open moment (not committed); raise DomainError for a field."""
    now = now or datetime.now(UTC)
    if day not in moment_days(now):
        raise DomainError(_l("Choose a day from today up to 5 days ahead."), "day")
    if not isinstance(start_time, time) or not isinstance(end_time, time):
        raise DomainError(_l("Enter a time as HH:MM, for example 15:00."), "start_time")
    if end_time <= start_time:
        raise DomainError(_l("The end must be later than the start."), "end_time")
    starts_at = local_instant(day, start_time)
    ends_at = local_instant(day, end_time)
    if ends_at <= now + CLAIM_MARGIN:
        raise DomainError(
            _l("This moment is (almost) over. Choose a later end time."), "end_time"
        )
    if not isinstance(slots, int) or not 1 <= slots <= MAX_SLOTS:
        raise DomainError(_l("Enter a number of slots from 1 to 500."), "slots")
    centre = db.session.get(Centre, centre_id)
    if centre is None or not centre.active:
        raise DomainError(_l("Choose an active vaccination centre."), "centre")
    moment = OpenMoment(
        centre_id=centre_id,
        day=day,
        start_time=start_time,
        end_time=end_time,
        starts_at=starts_at,
        ends_at=ends_at,
        slots=slots,
        claimed=0,
        state=MomentState.OPEN,
        created_by_id=created_by_id,
        created_at=now,
    )
    db.session.add(moment)
    db.session.flush()
    logger.info("open moment %s announced for centre %s", moment.id, centre_id)
    return moment


def close_moment(moment, now=None):
    """No new claims on `moment`; the claims it has stay (not committed)."""
    if moment.state == MomentState.OPEN:
        moment.state = MomentState.CLOSED
        moment.closed_at = now or datetime.now(UTC)
        logger.info("open moment %s closed", moment.id)


def centre_moments(centre_ids, now=None):
    """Moments of these centres (None: all) not ended yet, soonest first."""
    now = now or datetime.now(UTC)
    query = select(OpenMoment).where(OpenMoment.ends_at > now)
    if centre_ids is not None:
        query = query.where(OpenMoment.centre_id.in_(centre_ids))
    return db.session.scalars(query.order_by(OpenMoment.starts_at, OpenMoment.id)).all()


def claim_counts(moment_ids):
    """{moment id: {claim state: count}} for the staff overview."""
    counts = {}
    if not moment_ids:
        return counts
    rows = db.session.execute(
        select(DirectClaim.moment_id, DirectClaim.state, func.count())
        .where(DirectClaim.moment_id.in_(moment_ids))
        .group_by(DirectClaim.moment_id, DirectClaim.state)
    ).all()
    for moment_id, state, count in rows:
        counts.setdefault(moment_id, {})[state] = count
    return counts


# Finding and claiming moments (citizens) -------------------------------------


def claimable(moment, now=None):
    now = now or datetime.now(UTC)
    return moment.state == MomentState.OPEN and moment.ends_at > now + CLAIM_MARGIN


def open_moments(postcode=None, now=None):
    """(moments at centres serving `postcode`, all other moments): claimable
    moments, full ones included, soonest first."""
    now = now or datetime.now(UTC)
    moments = db.session.scalars(
        select(OpenMoment)
        .join(Centre)
        .where(
            OpenMoment.state == MomentState.OPEN,
            OpenMoment.ends_at > now + CLAIM_MARGIN,
            Centre.active.is_(True),
        )
        .order_by(OpenMoment.starts_at, Centre.name, OpenMoment.id)
    ).all()
    near_ids = {c.id for c in centres_for_postcode(postcode)} if postcode else set()
    near = [m for m in moments if m.centre_id in near_ids]
    others = [m for m in moments if m.centre_id not in near_ids]
    return near, others


def claimable_moment(moment_id, now=None):
    """The moment if it can still be claimed (free slots or not), else None."""
    moment = db.session.get(OpenMoment, moment_id)
    if moment is None or not claimable(moment, now):
        return None
    return moment


@dataclass
class ClaimData:
    person: PersonData
    postcode: str
    language: str


MOMENT_GONE = _l("This moment can no longer be chosen. Choose another one.")
MOMENT_FULL = _l("All slots of this moment have just been taken. Choose another one.")


def claim_moment(moment_id, data, now=None):
    """Take a slot of moment `moment_id` for the person in `data`; COMMIT.

    Returns the `DirectClaim`, being checked; its eligibility job must be
    started next. Raises DomainError (no field) when the moment is gone or
    full. The slot and the claim are committed together or not at all.
    """
    now = now or datetime.now(UTC)
    for attempt in (1, 2):
        try:
            claim = _claim(moment_id, data, now)
            db.session.commit()
            return claim
        except IntegrityError:
            # The same national number claimed at the same instant: the
            # second time round it is found, and treated as already there.
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _claim(moment_id, data, now):
    moment = db.session.get(OpenMoment, moment_id)
    if moment is None or not claimable(moment, now):
        raise DomainError(MOMENT_GONE)
    # The first write of the transaction: the row stays locked until commit.
    taken = db.session.execute(
        update(OpenMoment)
        .where(
            OpenMoment.id == moment_id,
            OpenMoment.state == MomentState.OPEN,
            OpenMoment.claimed < OpenMoment.slots,
        )
        .values(claimed=OpenMoment.claimed + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        db.session.rollback()
        raise DomainError(MOMENT_FULL)

    claim = DirectClaim(
        token=secrets.token_urlsafe(32),
        moment_id=moment_id,
        language=data.language,
        state=ClaimState.CHECKING,
        next_check_at=now,
        created_at=now,
    )
    existing = find_registered_person(data.person.ssin, now)
    if existing is None:
        entry = Entry(
            kind=EntryKind.DIRECT,
            state=EntryState.PENDING,
            language=data.language,
            postcode=data.postcode,
            size=1,
            avail_bits=0,
            registered_at=now,
        )
        db.session.add(entry)
        # Checked by the claim's own job, not by the registration sweep.
        entry.people.append(new_person(data.person, now, swept=False))
        claim.entry = entry
        claim.person = entry.people[0]
    elif _may_claim_again(existing, now):
        _refresh_person(existing, data, now)
        claim.entry_id = existing.entry_id
        claim.person_id = existing.id
    else:
        # Refused by the job, like any other claim, so the page tells nothing.
        # Limitation: someone on the reserve list (situations b-f) must leave
        # it before taking an open moment; moving their entry over would touch
        # groups and third-party registrations that other people share.
        claim.person_id = existing.id
    db.session.add(claim)
    db.session.flush()
    logger.info("claim %s took a slot of moment %s", claim.id, moment_id)
    return claim


def _may_claim_again(person, now):
    """A direct entry without a claim that holds a slot of a coming moment."""
    entry = person.entry
    if entry is None or entry.kind != EntryKind.DIRECT:
        return False
    holding = db.session.scalar(
        select(
            exists().where(
                DirectClaim.entry_id == entry.id,
                DirectClaim.state.in_((ClaimState.CHECKING, ClaimState.CONFIRMED)),
                DirectClaim.moment_id == OpenMoment.id,
                OpenMoment.ends_at > now,
            )
        )
    )
    return not holding


def _refresh_person(person, data, now):
    person.last_name = data.person.last_name
    person.first_name = data.person.first_name
    person.email = data.person.email
    person.mobile = data.person.mobile
    person.eligibility = Eligibility.PENDING
    person.next_check_at = None
    entry = person.entry
    entry.language = data.language
    entry.postcode = data.postcode
    entry.state = EntryState.PENDING


# Limitation: a person cannot give back a confirmed moment through LMB (the
# e-mail asks them to call the contact centre); staff can only close a moment
# to new claims, not cancel claims already confirmed.


def claim_by_token(token, now=None):
    now = now or datetime.now(UTC)
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None
    claim = db.session.scalar(select(DirectClaim).filter_by(token=token))
    if claim is None or claim.created_at < now - CLAIM_TTL:
        return None
    return claim


# Deciding a claim (the eligibility job) --------------------------------------


def locked_claim(claim_id):
    """The claim, row-locked on PostgreSQL so two workers never decide it."""
    return db.session.scalar(
        select(DirectClaim)
        .where(DirectClaim.id == claim_id)
        .with_for_update(skip_locked=True)
    )


def needs_check(claim):
    """What the job must do: None (check eligibility) or a refusal reason."""
    if claim.entry_id is None or claim.person is None:
        return ClaimReason.ALREADY_REGISTERED
    return None


def record_check_unavailable(claim, now):
    pause = CHECK_BACKOFF[min(claim.check_attempts, len(CHECK_BACKOFF) - 1)]
    claim.check_attempts += 1
    claim.next_check_at = now + timedelta(seconds=pause)
    logger.warning(
        "claim %s: eligibility service unavailable, attempt %d, next in %ds",
        claim.id,
        claim.check_attempts,
        pause,
    )


def confirm_claim(claim, now, booking_url):
    """The person is eligible: invite them (not committed).

    Writes the confirmation e-mail (with the vaccination code) and the
    notification for the booking system in the same transaction.
    """
    claim.state = ClaimState.CONFIRMED
    claim.decided_at = now
    claim.next_check_at = None
    entry = claim.entry
    entry.state = EntryState.BOOKED
    entry.size = 1
    person = claim.person
    entry.rank_birth_day = person.birth_day
    db.session.add(
        BookingNotification(
            notification_id=str(uuid.uuid4()),
            claim=claim,
            state=NotificationState.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
    )
    moment = claim.moment
    outbox.queue_email(
        to=person.email,
        language=claim.language,
        purpose="direct_confirmation",
        template="direct_confirmation",
        subject=_l("Your vaccination moment is confirmed"),
        context={
            "recipient_name": person.first_name,
            "moment": moment,
            "centre": moment.centre,
            "vaccination_code": person.vaccination_code,
            "booking_url": booking_url,
        },
        entry_id=entry.id,
    )
    logger.info("claim %s confirmed", claim.id)


def refuse_claim(claim, reason, now):
    """Release the slot and tell the person why (not committed)."""
    claim.state = ClaimState.REFUSED
    claim.reason = reason
    claim.decided_at = now
    claim.next_check_at = None
    release_slot(claim.moment_id)
    if claim.entry is not None:
        claim.entry.state = EntryState.INACTIVE
        claim.entry.size = 0
    person = claim.person
    if person is not None:
        # A number already on the reserve list is told at the address and in
        # the language it registered with, whatever the claim's page was in.
        own = claim.entry_id is not None or person.entry is None
        language = claim.language if own else person.entry.language
        outbox.queue_email(
            to=person.email,
            language=language,
            purpose="direct_refused",
            template="direct_refused",
            subject=_l("We could not give you the vaccination moment"),
            context={
                "recipient_name": person.first_name,
                "reason": reason,
                "eligibility": person.eligibility,
                "moment": claim.moment,
                "centre": claim.moment.centre,
                "help_url": links.help_url(language),
            },
            entry_id=claim.entry_id,
        )
    logger.info("claim %s refused (%s), slot released", claim.id, reason)


def release_slot(moment_id):
    db.session.execute(
        update(OpenMoment)
        .where(OpenMoment.id == moment_id, OpenMoment.claimed > 0)
        .values(claimed=OpenMoment.claimed - 1)
        .execution_options(synchronize_session=False)
    )


def due_checks(now, limit=500):
    return db.session.scalars(
        select(DirectClaim.id)
        .where(
            DirectClaim.state == ClaimState.CHECKING,
            DirectClaim.next_check_at <= now,
        )
        .order_by(DirectClaim.next_check_at)
        .limit(limit)
    ).all()


def unmarked_claims(before, limit=500):
    """Confirmed claims the vaccination code database has not yet recorded."""
    return db.session.scalars(
        select(DirectClaim.id)
        .where(
            DirectClaim.state == ClaimState.CONFIRMED,
            DirectClaim.vcdb_marked_at.is_(None),
            DirectClaim.decided_at <= before,
        )
        .order_by(DirectClaim.decided_at)
        .limit(limit)
    ).all()


# Telling the booking system --------------------------------------------------


def locked_notification(notification_pk):
    return db.session.scalar(
        select(BookingNotification)
        .where(BookingNotification.id == notification_pk)
        .with_for_update(skip_locked=True)
    )


def notice_fields(notification):
    """The fields of the notice, or None when the person's data is gone."""
    claim = notification.claim
    person = claim.person
    if person is None or not person.vaccination_code:
        return None
    moment = claim.moment
    return {
        "notification_id": notification.notification_id,
        "vaccination_code": person.vaccination_code,
        "date": moment.day,
        "start_time": moment.start_time,
        "end_time": moment.end_time,
        "invited_at": claim.decided_at,
        "centre_id": moment.centre.code,
    }


def mark_notification_sent(notification, now):
    notification.state = NotificationState.SENT
    notification.sent_at = now
    notification.attempts += 1
    notification.last_error = None


def mark_notification_failed(notification, error, *, retryable, now):
    """Count a failed attempt; retried later unless the refusal is final."""
    notification.attempts += 1
    notification.last_error = error[:200]
    if not retryable:
        notification.state = NotificationState.FAILED
        return
    step = min(notification.attempts - 1, len(NOTIFY_BACKOFF) - 1)
    notification.next_attempt_at = now + timedelta(seconds=NOTIFY_BACKOFF[step])


def due_notifications(now, limit=500):
    return db.session.scalars(
        select(BookingNotification.id)
        .where(
            BookingNotification.state == NotificationState.PENDING,
            BookingNotification.next_attempt_at <= now,
        )
        .order_by(BookingNotification.next_attempt_at)
        .limit(limit)
    ).all()
