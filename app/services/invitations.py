"""One invitation's life: sent, then booked, expired, declined or withdrawn.

An invitation is created QUEUED by a wave (app.services.campaigns) with its
messages in the outbox. The 30 minutes to book start when the first message
is handed to the mail relay or SMS gateway: the outbox then calls
`message_delivered`, which makes it SENT and sets `expires_at` (30 minutes
later, never after the campaign's end). At `expires_at`,
`check_expiry` asks the vaccination code database whether the person
booked since the message was sent: BOOKED, or EXPIRED and the next person in
line is invited. Only an expiry the database confirmed counts against the
entry; the third one in a row pauses it and asks the person whether they
want to stay on the list.

Other ways out: the person follows "I cannot come" (`decline`, DECLINED);
every message failed for good (`message_undeliverable`, UNDELIVERABLE); the
slots were all booked, staff closed the campaign, or the message could not
be handed over in time (`cancel`, CANCELLED). None of them count against
the entry; each releases the slot at once.

Functions here never commit: the caller (a job, a view, the outbox) does.
What must happen after the commit (a new wave, the expiry check at
`expires_at`) is noted in the session and handed to `jobs.campaigns` by an
after-commit listener, so a job never starts before the data it reads is
committed, and nothing is started for a rolled-back change.

Locking: each state change first updates the row it changes (a no-op
UPDATE), which takes the row lock on PostgreSQL and the write lock on
SQLite, then re-reads it. Two workers deciding about one invitation at once
therefore decide one after the other, and the second sees the first's
outcome.
"""

import importlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select, update

from app.adapters.vcdb import VaccinationCodeServiceUnavailable
from app.extensions import db
from app.models import (
    Campaign,
    Eligibility,
    Entry,
    EntryState,
    Invitation,
    InvitationState,
    MessageState,
    OutboxMessage,
    StaffUser,
)
from app.services import entries, outbox

logger = logging.getLogger(__name__)

BOOKING_WINDOW = timedelta(minutes=30)
# An invitation whose message is not handed over this long after it was
# written is withdrawn: the person would receive it too late to book.
DELIVERY_LIMIT = timedelta(minutes=15)
# Clocks of the booking system and ours may differ a little: a booking this
# long before our message was sent still counts as an answer to it.
BOOKING_CLOCK_SLACK = timedelta(minutes=2)
# Unanswered invitations in a row that pause an entry.
UNANSWERED_LIMIT = 3
# When the vaccination code database cannot say whether someone booked.
RETRY_AFTER = timedelta(minutes=1)
# How long after a campaign's end a direct booking report is still matched.
LATE_REPORT_WINDOW = timedelta(hours=12)

_FOLLOW_UPS = "campaign_follow_ups"  # key in Session.info


@dataclass(frozen=True)
class Links:
    """The addresses messages point to. Built by the caller, which knows the
    application's settings (app.centre.links.campaign_links())."""

    booking_system_url: str
    decline_url: Callable  # Invitation -> str
    personal_url: Callable  # Entry -> str


@dataclass(frozen=True)
class Recipient:
    email: str
    mobile: str | None  # None: no SMS (a doctor)
    name: str | None
    for_doctor: bool


# After the commit ----------------------------------------------------------


def after_commit_wave(campaign_id):
    """Start a wave of `campaign_id` once the current transaction commits."""
    _follow_ups()["waves"].add(campaign_id)


def after_commit_expiry_check(invitation_id, at):
    """Check invitation `invitation_id` at `at`, once the transaction commits."""
    _follow_ups()["checks"][invitation_id] = at


def _follow_ups():
    return db.session.info.setdefault(_FOLLOW_UPS, {"waves": set(), "checks": {}})


def _dispatch_after_commit(session):
    pending = session.info.pop(_FOLLOW_UPS, None)
    if not pending or not (pending["waves"] or pending["checks"]):
        return
    try:
        # The job module knows Redis and RQ; services do not import Flask.
        importlib.import_module("jobs.campaigns").dispatch(
            waves=sorted(pending["waves"]), checks=pending["checks"]
        )
    except Exception:
        # The commit happened and must not look failed; the sweep catches up.
        logger.exception("campaign follow-ups could not be enqueued")


def _forget_after_rollback(session):
    session.info.pop(_FOLLOW_UPS, None)


def _listen():
    for name, listener in (
        ("after_commit", _dispatch_after_commit),
        ("after_rollback", _forget_after_rollback),
    ):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


_listen()


# Reading --------------------------------------------------------------------


def locked(model, row_id):
    """The row `row_id` of `model` (a table with a `state` column), re-read
    after taking its write lock."""
    db.session.execute(
        update(model).where(model.id == row_id).values(state=model.state)
    )
    return db.session.execute(
        select(model)
        .where(model.id == row_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def minutes_left(invitation, now):
    """Whole minutes, rounded up, until a SENT invitation expires; else None."""
    if invitation.state != InvitationState.SENT or invitation.expires_at is None:
        return None
    seconds = (invitation.expires_at - now).total_seconds()
    return max(0, math.ceil(seconds / 60))


def invited_members(entry):
    """The people of `entry` an invitation is for: eligible, with a code."""
    return [
        person
        for person in entry.people
        if person.eligibility == Eligibility.ELIGIBLE and person.vaccination_code
    ]


def recipient(entry):
    """Who receives the messages about `entry`'s invitations."""
    if entry.recipient == "doctor" and entry.doctor_id is not None:
        doctor = db.session.get(StaffUser, entry.doctor_id)
        if doctor is not None and doctor.active:
            return Recipient(doctor.username, None, doctor.display_name, True)
    person = entry.responsible
    return Recipient(person.email, person.mobile, person.first_name, False)


# Messages -------------------------------------------------------------------


def _common_context(invitation, entry, who):
    campaign = invitation.campaign
    context = {
        "centre": campaign.centre,
        "day": campaign.day,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "for_doctor": who.for_doctor,
        "patients": [f"{p.first_name} {p.last_name}" for p in entry.people],
    }
    if who.name:
        context["recipient_name"] = who.name
    return context


def queue_invitation(invitation, entry, members, links, now):
    """Write the invitation's e-mail (and SMS) to the outbox.

    The message is written now and sent moments later; the 30 minutes count
    from the sending. The clock time it names is 30 minutes from now (or the
    campaign's end): never later than the real deadline, which counts from
    the later sending, so whoever books by that time is always in time.
    """
    campaign = invitation.campaign
    who = recipient(entry)
    deadline = min(now + BOOKING_WINDOW, campaign.ends_at)
    context = {
        **_common_context(invitation, entry, who),
        "codes": [(p.first_name, p.vaccination_code) for p in members],
        "size": len(members),
        "deadline": deadline,
        "booking_url": links.booking_system_url,
        "decline_url": links.decline_url(invitation),
    }
    email_context = dict(context)
    if not who.for_doctor:
        email_context["manage_url"] = links.personal_url(entry)
    outbox.queue_email(
        to=who.email,
        language=entry.language,
        purpose="invitation",
        template="invitation",
        context=email_context,
        subject=_l(
            "Invitation: a vaccine for you at %(centre)s, book within 30 minutes",
            centre=campaign.centre.name,
        ),
        entry_id=entry.id,
        invitation_id=invitation.id,
    )
    _queue_sms(who, entry, invitation, "invitation", context)


def _queue_sms(who, entry, invitation, purpose, context):
    """The SMS twin of an invitation e-mail, when the recipient has a mobile
    (queue_sms itself writes nothing when SMS is switched off)."""
    if who.mobile:
        outbox.queue_sms(
            to=who.mobile,
            language=entry.language,
            purpose=purpose,
            template=purpose,
            context=context,
            entry_id=entry.id,
            invitation_id=invitation.id,
        )


def _queue_withdrawal(invitation, entry, reason):
    """Tell someone holding an invitation that it no longer stands."""
    who = recipient(entry)
    context = {**_common_context(invitation, entry, who), "reason": reason}
    outbox.queue_email(
        to=who.email,
        language=entry.language,
        purpose="invitation_cancelled",
        template="invitation_cancelled",
        context=context,
        subject=_l("Your invitation no longer stands: you stay on the reserve list"),
        entry_id=entry.id,
        invitation_id=invitation.id,
    )
    _queue_sms(who, entry, invitation, "invitation_cancelled", context)


def _queue_paused(entry, links):
    who = recipient(entry)
    context = {
        "personal_url": links.personal_url(entry),
        "for_doctor": who.for_doctor,
        "patients": [f"{p.first_name} {p.last_name}" for p in entry.people],
        "unanswered": UNANSWERED_LIMIT,
    }
    if who.name:
        context["recipient_name"] = who.name
    outbox.queue_email(
        to=who.email,
        language=entry.language,
        purpose="invitation_paused",
        template="invitation_paused",
        context=context,
        subject=_l("Do you want to stay on the reserve list?"),
        entry_id=entry.id,
    )


# Reports from the outbox ------------------------------------------------------


def message_delivered(invitation_id, sent_at):
    """The outbox handed a message of the invitation over: the 30 minutes run.

    Called once per message (e-mail and SMS); the first one counts.
    """
    invitation = locked(Invitation, invitation_id)
    if invitation is None or invitation.state != InvitationState.QUEUED:
        return
    invitation.state = InvitationState.SENT
    invitation.sent_at = sent_at
    invitation.expires_at = min(sent_at + BOOKING_WINDOW, invitation.campaign.ends_at)
    after_commit_expiry_check(invitation.id, invitation.expires_at)
    logger.info("invitation %s sent", invitation.id)


def message_undeliverable(invitation_id):
    """A message of the invitation failed for good; once all have, it is
    UNDELIVERABLE: not counted against the entry, the slot goes to the next."""
    invitation = locked(Invitation, invitation_id)
    if invitation is None or invitation.state != InvitationState.QUEUED:
        return
    still_going = db.session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.invitation_id == invitation_id,
            OutboxMessage.state.in_((MessageState.QUEUED, MessageState.SENT)),
        )
        .limit(1)
    )
    if still_going is not None:
        return
    invitation.state = InvitationState.UNDELIVERABLE
    after_commit_wave(invitation.campaign_id)
    logger.info("invitation %s undeliverable", invitation.id)


# Answers ----------------------------------------------------------------------


class Outcome:
    BOOKED = "booked"
    EXPIRED = "expired"
    RETRY = "retry"  # the database did not answer; asked again in a minute
    NOT_DUE = "not_due"
    SETTLED = "settled"  # nothing to do: it was decided before


# Limitation: a booking is learnt when the 30 minutes are over (or at once
# through the booking system's callback), not while they run: until then the
# live screen shows the invitation as waiting for a booking.
def check_expiry(invitation_id, *, service, links, now):
    """Decide a SENT invitation whose 30 minutes are over; return an Outcome.

    Booked since the message was sent: BOOKED. Not booked: EXPIRED, counted
    against the entry, and the next in line is invited. The database down:
    RETRY in a minute (still SENT) until the campaign's end, then EXPIRED
    without counting it against anyone.
    """
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.state != InvitationState.SENT:
        return Outcome.SETTLED
    if invitation.expires_at > now + timedelta(seconds=5):
        after_commit_expiry_check(invitation.id, invitation.expires_at)
        return Outcome.NOT_DUE
    ssins = _booking_ssins(invitation.entry)
    since = invitation.sent_at - BOOKING_CLOCK_SLACK
    db.session.rollback()  # no transaction stays open during the HTTP calls

    booked_at, answered = _booked_at(service, ssins, since)

    invitation = locked(Invitation, invitation_id)
    if invitation is None or invitation.state != InvitationState.SENT:
        return Outcome.SETTLED
    if booked_at is not None:
        mark_booked(invitation, booked_at, now)
        return Outcome.BOOKED
    if not answered and now < invitation.campaign.ends_at:
        after_commit_expiry_check(invitation.id, now + RETRY_AFTER)
        logger.warning(
            "invitation %s: booking status unknown, asking again in a minute",
            invitation.id,
        )
        return Outcome.RETRY
    _expire(invitation, links, counted=answered)
    return Outcome.EXPIRED


def _booking_ssins(entry):
    """National numbers to ask about, the person responsible first."""
    if entry is None:
        return []
    people = sorted(entry.people, key=lambda p: not p.is_responsible)
    return [p.ssin for p in people if p.vaccination_code]


def _booked_at(service, ssins, since):
    """(when one of them booked at or after `since`, or None; whether the
    database answered for everyone asked)."""
    for ssin in ssins:
        try:
            status = service.booking_status(ssin, since)
        except VaccinationCodeServiceUnavailable:
            return None, False
        if status.booked_since:
            return status.booked_at or since, True
    return None, True


def booking_questions(invitations):
    """What to ask the database about SENT invitations, read before the HTTP
    calls: [(invitation id, national numbers, since)]."""
    return [
        (
            invitation.id,
            _booking_ssins(invitation.entry),
            invitation.sent_at - BOOKING_CLOCK_SLACK,
        )
        for invitation in invitations
        if invitation.state == InvitationState.SENT
    ]


def booking_answers(service, questions):
    """{invitation id: booked_at or None} for `booking_questions`; those the
    database could not answer for are left out."""
    found = {}
    for invitation_id, ssins, since in questions:
        booked_at, answered = _booked_at(service, ssins, since)
        if not answered:
            break  # it is down: don't wait for it once per invitation
        found[invitation_id] = booked_at
    return found


def _expire(invitation, links, *, counted):
    invitation.state = InvitationState.EXPIRED
    entry = invitation.entry
    if counted and entry is not None:
        entry.unanswered_count += 1
        if (
            entry.unanswered_count >= UNANSWERED_LIMIT
            and entry.state == EntryState.ACTIVE
        ):
            entry.state = EntryState.PAUSED
            entries.sync_ranking(entry)
            _queue_paused(entry, links)
            logger.info("entry %s paused after unanswered invitations", entry.id)
    after_commit_wave(invitation.campaign_id)
    logger.info(
        "invitation %s expired%s", invitation.id, "" if counted else " (unverified)"
    )


def mark_booked(invitation, booked_at, now):
    """The invitee booked: the invitation and the whole entry are BOOKED.

    Also for an invitation already expired or withdrawn: the booking in the
    regular system stands, and the centre must see it.
    """
    invitation.state = InvitationState.BOOKED
    invitation.answered_at = min(booked_at, now) if booked_at else now
    entry = invitation.entry
    if entry is not None:
        entry.state = EntryState.BOOKED
        entry.unanswered_count = 0
        entries.sync_ranking(entry)
    # The wave job notices when every slot is booked.
    after_commit_wave(invitation.campaign_id)
    logger.info("invitation %s booked", invitation.id)


def decline(invitation_id, *, now):
    """ "I cannot come": the slot goes to the next person at once.

    Changes nothing about the person's code or regular appointments; the
    entry stays on the list. Returns False when the invitation was no longer
    open.
    """
    invitation = locked(Invitation, invitation_id)
    if invitation is None or invitation.state not in InvitationState.OPEN:
        return False
    invitation.state = InvitationState.DECLINED
    invitation.answered_at = now
    outbox.cancel_queued(invitation_id=invitation.id, reason="declined")
    if invitation.entry is not None:
        invitation.entry.unanswered_count = 0  # an answer, not silence
    after_commit_wave(invitation.campaign_id)
    logger.info("invitation %s declined", invitation.id)
    return True


class CancelReason:
    FULL = "full"  # every slot was booked
    CLOSED = "closed"  # staff closed the campaign
    LATE = "late"  # the message could not be handed over in time


def cancel(invitation, *, reason, now):
    """Withdraw an open invitation (row locked by the caller).

    Messages not yet sent are stopped. Someone who received the invitation
    is told it no longer stands and that they stay on the list.
    """
    was_sent = invitation.state == InvitationState.SENT
    invitation.state = InvitationState.CANCELLED
    invitation.answered_at = now
    outbox.cancel_queued(invitation_id=invitation.id, reason=f"withdrawn-{reason}")
    entry = invitation.entry
    if was_sent and entry is not None:
        _queue_withdrawal(invitation, entry, reason)
    logger.info("invitation %s withdrawn (%s)", invitation.id, reason)


def withdraw_late(now):
    """Withdraw QUEUED invitations whose message could not be handed over in
    time (DELIVERY_LIMIT, or the campaign ended); return their ids."""
    ids = db.session.scalars(
        select(Invitation.id)
        .join(Campaign, Campaign.id == Invitation.campaign_id)
        .where(
            Invitation.state == InvitationState.QUEUED,
            (Invitation.created_at <= now - DELIVERY_LIMIT) | (Campaign.ends_at <= now),
        )
        .order_by(Invitation.id)
    ).all()
    withdrawn = []
    for invitation_id in ids:
        invitation = locked(Invitation, invitation_id)
        if invitation is not None and invitation.state == InvitationState.QUEUED:
            cancel(invitation, reason=CancelReason.LATE, now=now)
            after_commit_wave(invitation.campaign_id)
            withdrawn.append(invitation_id)
    return withdrawn


def overdue(now, grace, limit=1000):
    """Ids of SENT invitations whose expiry is more than `grace` past: their
    scheduled check went missing."""
    return db.session.scalars(
        select(Invitation.id)
        .where(
            Invitation.state == InvitationState.SENT,
            Invitation.expires_at <= now - grace,
        )
        .order_by(Invitation.expires_at)
        .limit(limit)
    ).all()


# Direct reports from the booking system ------------------------------------------


def record_reported_booking(vaccination_code, booked_at, now):
    """The booking system says `vaccination_code` was used to book at
    `booked_at`; return the invitation it answers, or None.

    Matched against the invitations of campaigns that are running or ended
    less than LATE_REPORT_WINDOW ago, open ones first. A booking made before
    the invitation was sent is not an answer to it.
    """
    wanted = _normal_code(vaccination_code)
    if not wanted:
        return None
    rows = db.session.execute(
        select(Invitation, Entry)
        .join(Entry, Entry.id == Invitation.entry_id)
        .join(Campaign, Campaign.id == Invitation.campaign_id)
        .where(
            Invitation.state.in_(
                (
                    InvitationState.SENT,
                    InvitationState.QUEUED,
                    InvitationState.EXPIRED,
                    InvitationState.CANCELLED,
                )
            ),
            Campaign.ends_at > now - LATE_REPORT_WINDOW,
        )
        .order_by(Invitation.state.in_(InvitationState.OPEN).desc(), Invitation.id)
    ).all()
    # Limitation: codes are encrypted with a random nonce, so they cannot be
    # looked up by index; this decrypts the codes of the recent invitations
    # (thousands at most). A keyed hash of the code on Person would index it.
    for invitation, entry in rows:
        if not any(_normal_code(p.vaccination_code) == wanted for p in entry.people):
            continue
        since = (invitation.sent_at or invitation.created_at) - BOOKING_CLOCK_SLACK
        if booked_at < since:
            return None
        invitation = locked(Invitation, invitation.id)
        if invitation.state == InvitationState.BOOKED:
            return invitation
        mark_booked(invitation, booked_at, now)
        return invitation
    return None


def _normal_code(code):
    if not isinstance(code, str):
        return ""
    return "".join(ch for ch in code.upper() if ch.isalnum())
