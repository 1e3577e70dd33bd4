"""Mail programs hide or grey out what follows the "-- " line: in every
message, in every language, only the signature comes after it, and every
link the person needs comes before it."""

from datetime import UTC, date, datetime, time
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_babel import force_locale, gettext

from app.services import availability, outbox

EMAILS = Path(outbox.TEMPLATE_DIR) / "emails"
DAY = date(2021, 4, 16)
SIGNATURE = (
    "Last-minute vaccination reserve list",
    "This message was sent automatically; replies are not read.",
)
MANAGE_URL = "https://lmb.example/nl/me/manage-token"

CENTRE = SimpleNamespace(name="Vaccinatiecentrum Gent", full_address="Gent")
CAMPAIGN = {
    "centre": CENTRE,
    "day": DAY,
    "starts_at": datetime(2021, 4, 16, 6, 0, tzinfo=UTC),
    "ends_at": datetime(2021, 4, 16, 11, 0, tzinfo=UTC),
    "for_doctor": False,
    "patients": ["Louise Peeters"],
}
MOMENT = SimpleNamespace(day=DAY, start_time=time(9), end_time=time(12))
PEOPLE = [
    SimpleNamespace(first_name="Louise", last_name="Peeters", is_responsible=True),
    SimpleNamespace(first_name="Jan", last_name="Peeters", is_responsible=False),
]

# Each message's context; the links in it are what the person needs.
CONTEXTS = {
    "availability_reminder": {
        "until": DAY,
        "personal_url": "https://lmb.example/nl/me/reminder-token",
    },
    "confirm_update": {"confirm_url": "https://lmb.example/nl/confirm/confirm-token"},
    "details_corrected": {"fields": ["e-mail address"], "links_replaced": True},
    "direct_confirmation": {
        "moment": MOMENT,
        "centre": CENTRE,
        "vaccination_code": "ABCD-EFGH-JKLM",
        "booking_url": "https://booking.example/direct",
    },
    "direct_refused": {
        "moment": MOMENT,
        "centre": CENTRE,
        "reason": "not_eligible",
        "eligibility": "booked",
        "help_url": "https://lmb.example/nl/info#help",
    },
    "email_replaced": {"help_url": "https://lmb.example/nl/info#help"},
    "group_members_removed": {
        "names": ["Jan Peeters"],
        "others_stay": True,
        "help_url": "https://lmb.example/nl/info#help",
    },
    "invitation": {
        **CAMPAIGN,
        "codes": [("Louise", "ABCD-EFGH-JKLM"), ("Jan", "NPQR-STUV-WXYZ")],
        "size": 2,
        "deadline": datetime(2021, 4, 16, 6, 30, tzinfo=UTC),
        "booking_url": "https://booking.example/invitation",
        "decline_url": "https://lmb.example/nl/decline/decline-token",
    },
    "invitation_cancelled": {**CAMPAIGN, "reason": "full"},
    "invitation_paused": {
        "for_doctor": False,
        "patients": ["Louise Peeters"],
        "unanswered": 3,
        "personal_url": "https://lmb.example/nl/me/paused-token",
    },
    "registration_accepted": {
        "entry": SimpleNamespace(
            people=PEOPLE,
            kind="third_party",
            available_until=DAY,
            doctor_id=None,
            registered_by_id=None,
            recipient="person",
            is_companion=False,
        ),
        "centres": [CENTRE],
        "slots": [(DAY, availability.MORNING)],
        "personal_url": "https://lmb.example/nl/me/accepted-token",
    },
    "registration_refused": {"help_url": "https://lmb.example/nl/info#help"},
    "test_message": {},
    "third_party_confirmation": {"names": ["Louise Peeters"]},
    "withdrawn": {},
}


def links_in(context):
    return [v for v in context.values() if isinstance(v, str) and "://" in v]


def after_separator(body):
    lines = body.splitlines()
    assert lines.count("-- ") <= 1
    return lines[lines.index("-- ") + 1 :] if "-- " in lines else None


def test_every_message_is_checked():
    names = {path.name for path in EMAILS.glob("*.txt")}
    kinds = {name.split(".")[0] for name in names if not name.startswith("_")}

    assert kinds == set(CONTEXTS)


@pytest.mark.parametrize("language", outbox.LANGUAGES)
@pytest.mark.parametrize("kind", CONTEXTS)
def test_only_the_signature_follows_the_separator_in_an_email(app_ctx, kind, language):
    # Every e-mail may carry the link to manage the registration.
    context = {
        **CONTEXTS[kind],
        "recipient_name": "Louise",
        "manage_url": MANAGE_URL,
    }

    message = outbox.queue_email(
        to="louise@example.be",
        language=language,
        purpose=kind,
        template=kind,
        context=context,
        subject="Subject",
    )

    with force_locale(language):
        signature = [gettext(line) for line in SIGNATURE]
    assert after_separator(message.body) == signature
    before = message.body.split("\n-- \n")[0]
    for link in links_in(context):
        assert link in before


@pytest.mark.parametrize("language", outbox.LANGUAGES)
@pytest.mark.parametrize(
    "kind", sorted(path.name.split(".")[0] for path in EMAILS.glob("[!_]*.sms.txt"))
)
def test_an_sms_has_no_separator(outbox_app, kind, language):
    outbox_app(SMS_ENABLED=True)

    message = outbox.queue_sms(
        to="+32470123456",
        language=language,
        purpose=kind,
        template=kind,
        context=CONTEXTS[kind],
    )

    assert after_separator(message.body) is None
