"""The database tables. Each module holds the models of one area."""

from app.models.audit import AuditEvent
from app.models.campaign import Campaign, CampaignState, Invitation, InvitationState
from app.models.centre import Centre, CentrePostcode, PostcodeArea
from app.models.direct import (
    BookingNotification,
    ClaimReason,
    ClaimState,
    DirectClaim,
    MomentState,
    NotificationState,
    OpenMoment,
)
from app.models.messaging import MessageState, OutboxMessage
from app.models.privacy import ErasureTally
from app.models.registration import (
    Eligibility,
    Entry,
    EntryCentre,
    EntryKind,
    EntryState,
    Person,
    Submission,
    UTCDateTime,
    utcnow,
)
from app.models.staff import Role, StaffUser

__all__ = [
    "AuditEvent",
    "BookingNotification",
    "Campaign",
    "CampaignState",
    "Centre",
    "CentrePostcode",
    "ClaimReason",
    "ClaimState",
    "DirectClaim",
    "Eligibility",
    "Entry",
    "EntryCentre",
    "EntryKind",
    "EntryState",
    "ErasureTally",
    "Invitation",
    "InvitationState",
    "MessageState",
    "MomentState",
    "NotificationState",
    "OpenMoment",
    "OutboxMessage",
    "Person",
    "PostcodeArea",
    "Role",
    "StaffUser",
    "Submission",
    "UTCDateTime",
    "utcnow",
]
