"""Words for the codes the audit trail stores, for the operators' page.

The trail keeps stable codes (an action, a role); the page shows them in the
reader's language and falls back to the code for one this list does not know
yet, so a new action never breaks the page.
"""

import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.models import Role
from app.services import audit, retention

ACTIONS = {
    audit.ENTRY_READ: _l("Opened an entry"),
    audit.ENTRY_CHANGED: _l("Changed an entry"),
    audit.ENTRY_REGISTERED: _l("Registered someone"),
    audit.ENTRY_CORRECTED: _l("Corrected their details"),
    audit.ENTRY_EXPORTED: _l("Downloaded their data"),
    audit.ENTRY_ERASED: _l("Erased an entry"),
    "entry_listed": _l("Saw an entry in a list"),
    "lookup": _l("Looked up a national number"),
    "confirmation_resent": _l("Sent the confirmation again"),
    "staff_login": _l("Logged in"),
    "staff_login_failed": _l("Log-in failed"),
    "staff_login_refused": _l("Log-in refused"),
    "staff_locked": _l("Account locked"),
    "staff_account_created": _l("Account created"),
    "staff_password_set": _l("Password set"),
    "staff_deactivated": _l("Account deactivated"),
    "staff_totp_enabled": _l("Second factor switched on"),
    "staff_totp_removed": _l("Second factor removed"),
    "staff_totp_passed": _l("Second factor accepted"),
    "staff_totp_failed": _l("Second factor refused"),
    "campaign_opened": _l("Opened a campaign"),
    "campaign_closed": _l("Closed a campaign"),
    "campaign_per_slot": _l("Changed the people invited per slot"),
    "campaign_invite_more": _l("Invited more people"),
}

ROLES = {
    Role.CENTRE_STAFF: _l("Centre staff"),
    Role.OPERATOR: _l("Operator"),
    Role.DOCTOR: _l("Doctor"),
    Role.AGENT: _l("Contact-centre agent"),
    Role.MONITOR: _l("Monitoring"),
    audit.CITIZEN: _l("The person themselves"),
    audit.SYSTEM: _l("Scheduled job"),
}

# The details the trail stores, as plain codes; the page words them.
DETAILS = {
    "found": _l("number found"),
    "not found": _l("number not found"),
    "malformed": _l("not a valid national number"),
    "oidc": _l("through the federal identity provider"),
    "oidc: no doctor account": _l(
        "through the federal identity provider: no doctor account"
    ),
    "update proposed": _l("changes waiting for the person's confirmation"),
    "recipient": _l("who receives the invitation"),
    "recipient doctor": _l("invitations go to the doctor"),
    "recipient person": _l("invitations go to the patient"),
    "situation b": _l("the caller themselves"),
    "situation c": _l("a group"),
    "situation d": _l("a companion"),
    "situation e": _l("other people"),
    retention.BOOKED: _l("booked through the list"),
    retention.LAPSED: _l("availability ran out"),
    retention.WITHDRAWN: _l("left the list"),
    retention.REPLACED: _l("replaced by a new registration"),
}
# Fields named in a correction ("last_name,email,language").
FIELDS = {
    "last_name": _l("last name"),
    "first_name": _l("first name"),
    "email": _l("e-mail address"),
    "mobile": _l("mobile number"),
    "language": _l("language"),
}
CAMPAIGN = re.compile(r"campaign (\d+)(?: per_slot (\d+))?")


def detail_words(detail):
    """`detail` in the reader's language; a code this list does not know
    stays as it is, so a new one never breaks the page."""
    if not detail:
        return ""
    if detail in DETAILS:
        return str(DETAILS[detail])
    campaign = CAMPAIGN.fullmatch(detail)
    if campaign:
        number, per_slot = campaign.groups()
        if per_slot:
            return gettext(
                "campaign %(number)s, %(per_slot)s per slot",
                number=number,
                per_slot=per_slot,
            )
        return gettext("campaign %(number)s", number=number)
    names = detail.split(",")
    if all(name in FIELDS for name in names):
        return ", ".join(str(FIELDS[name]) for name in names)
    return detail
