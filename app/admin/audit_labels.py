"""Words for the codes the audit trail stores, for the operators' page.

The trail keeps stable codes (an action, a role); the page shows them in the
reader's language and falls back to the code for one this list does not know
yet, so a new action never breaks the page.
"""

from flask_babel import lazy_gettext as _l

from app.models import Role
from app.services import audit

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
