"""Contact-centre agents: registering callers and helping them afterwards.

An agent registers a caller as the caller would on the public form
(`register_caller`, situation b), with `Entry.registered_by_id` set to the
agent. To help a caller later, the agent finds the entry by the caller's
national number, through its keyed hash (`look_up`); entries are never
browsed by id. Every look-up, found or not, is written to the audit trail,
as is every look at an entry and every confirmation sent again.

The caller commits.
"""

import logging

from flask_babel import lazy_gettext as _l

from app.crypto import lookup_hash
from app.extensions import db
from app.models import Entry, EntryKind, EntryState, Person, Role, StaffUser
from app.services import audit, entries, situations
from app.services.errors import DomainError

logger = logging.getLogger(__name__)

# Audit actions besides those of app.services.audit.
LOOKUP = "lookup"  # detail: found, not found or malformed
CONFIRMATION_RESENT = "confirmation_resent"

# States in which the person is on the list, so a confirmation makes sense.
CONFIRMABLE = (EntryState.ACTIVE, EntryState.PAUSED)


class NotAnAgent(DomainError):
    """The account is not an active contact-centre agent."""


def known_agent(agent_id):
    agent = db.session.get(StaffUser, agent_id) if isinstance(agent_id, int) else None
    if agent is None or agent.role != Role.AGENT or not agent.active:
        raise NotAnAgent(_l("Only contact-centre agents may do this."))
    return agent


def register_caller(agent_id, data, now=None):
    """Register a caller in situation b for the agent; return the Submission.

    A national number already on the list is handled as on the public form:
    the new data waits for confirmation through the address registered
    before.
    """
    agent = known_agent(agent_id)
    data.kind = EntryKind.SELF
    submission = entries.register(data, now=now, registered_by_id=agent.id)
    _audit_registered(agent, [submission], "situation b")
    return submission


def register_group(agent_id, data, now=None):
    """Situation c for the agent: app.services.situations.register_group."""
    agent = known_agent(agent_id)
    submission = situations.register_group(data, registered_by_id=agent.id, now=now)
    _audit_registered(agent, [submission], "situation c")
    return submission


def register_companion(agent_id, data, now=None):
    """Situation d for the agent: app.services.situations.register_companion."""
    agent = known_agent(agent_id)
    submission = situations.register_companion(data, registered_by_id=agent.id, now=now)
    _audit_registered(agent, [submission], "situation d")
    return submission


def register_third_parties(agent_id, people, registrant_email, language, now=None):
    """Situation e for the agent: app.services.situations.register_third_parties."""
    agent = known_agent(agent_id)
    submissions = situations.register_third_parties(
        people,
        registrant_email=registrant_email,
        language=language,
        registered_by_id=agent.id,
        now=now,
    )
    _audit_registered(agent, submissions, "situation e")
    return submissions


def _audit_registered(agent, submissions, situation):
    db.session.flush()
    for submission in submissions:
        if submission.entry_id is None:
            continue  # nobody new (a group of people all on the list already)
        detail = "update proposed" if submission.is_update else situation
        audit.record(agent, audit.ENTRY_REGISTERED, submission.entry_id, detail)
        logger.info(
            "agent %s registered entry %s (%s)", agent.id, submission.entry_id, detail
        )


def look_up(agent, ssin):
    """The entry of the person with national number `ssin`, or None.

    `ssin` is normalised (app.services.identity); pass None for a number
    that was not, which is audited as malformed and finds nothing.
    """
    if ssin is None:
        audit.record(agent, LOOKUP, None, "malformed")
        return None
    person = db.session.scalar(
        db.select(Person).where(Person.ssin_hash == lookup_hash(ssin))
    )
    if person is None:
        audit.record(agent, LOOKUP, None, "not found")
        logger.info("agent %s looked up a number: not found", agent.id)
        return None
    audit.record(agent, LOOKUP, person.entry_id, "found")
    logger.info("agent %s looked up entry %s", agent.id, person.entry_id)
    return person.entry


def read_entry(agent, entry_id):
    """Entry `entry_id` for the agent (audited), or None when it is gone."""
    entry = db.session.get(Entry, entry_id) if isinstance(entry_id, int) else None
    if entry is None:
        return None
    audit.record(agent, audit.ENTRY_READ, entry.id)
    return entry


def resend_confirmation(agent, entry, queue_message):
    """Queue the confirmation of `entry` again with `queue_message(entry)`
    (app.notices.confirmation_again) and audit it; raise DomainError when
    there is nothing to confirm."""
    if entry.state == EntryState.PENDING:
        raise DomainError(
            _l(
                "The registration is still being checked. The outcome is "
                "e-mailed as soon as the check is done."
            )
        )
    if entry.state not in CONFIRMABLE:
        raise DomainError(
            _l(
                "This person is not on the reserve list at the moment, so there "
                "is no confirmation to send."
            )
        )
    message = queue_message(entry)
    audit.record(agent, CONFIRMATION_RESENT, entry.id)
    logger.info(
        "agent %s had the confirmation of entry %s sent again", agent.id, entry.id
    )
    return message


def masked_email(address):
    """Enough of an e-mail address to check it with the caller: m•••@example.be."""
    local, _, domain = (address or "").partition("@")
    if not domain:
        return "•••"
    return f"{local[:1]}•••@{domain}"


def masked_mobile(number):
    """The last two digits of a mobile number: +32 ••• •• •• 56."""
    digits = "".join(c for c in number or "" if c.isdigit())
    if len(digits) < 4:
        return "•••"
    return f"+{digits[:2]} ••• •• •• {digits[-2:]}"
