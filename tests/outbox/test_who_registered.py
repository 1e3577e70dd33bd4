"""The confirmation says who put the person on the list when it was not the
person: their doctor, or the contact centre at their request."""

from datetime import date
from types import SimpleNamespace

import pytest

from app.services import availability, outbox

DAY = date(2021, 4, 16)
PERSON = SimpleNamespace(first_name="Louise", last_name="Peeters", is_responsible=True)
CENTRE = SimpleNamespace(name="Vaccinatiecentrum Gent", full_address="Gent")

DOCTOR_TO_DOCTOR = {
    "nl": "Uw arts heeft u op de lijst gezet. Uitnodigingen gaan naar uw arts, "
    "die contact met u opneemt.",
    "fr": "Votre médecin a fait votre inscription sur la liste. Les invitations "
    "sont envoyées à votre médecin, qui vous contactera.",
    "de": "Ihr Arzt hat Sie auf die Liste gesetzt. Die Einladungen gehen an "
    "Ihren Arzt, der sich bei Ihnen meldet.",
}
DOCTOR_TO_PERSON = {
    "nl": "Uw arts heeft u op de lijst gezet. Uitnodigingen komen naar u, op dit "
    "adres.",
    "fr": "Votre médecin a fait votre inscription sur la liste. Les invitations "
    "vous sont envoyées, à cette adresse.",
    "de": "Ihr Arzt hat Sie auf die Liste gesetzt. Die Einladungen kommen an Sie, "
    "an diese Adresse.",
}
AGENT = {
    "nl": "Ons contactcenter heeft u op uw vraag op de lijst gezet.",
    "fr": "Notre centre de contact a fait votre inscription sur la liste, à votre "
    "demande.",
    "de": "Unser Kontaktzentrum hat Sie auf Ihren Wunsch auf die Liste gesetzt.",
}


def raw_body(
    language, kind="self", doctor_id=None, registered_by_id=None, recipient="person"
):
    entry = SimpleNamespace(
        people=[PERSON],
        kind=kind,
        available_until=DAY,
        doctor_id=doctor_id,
        registered_by_id=registered_by_id,
        recipient=recipient,
        is_companion=False,
    )
    message = outbox.queue_email(
        to="louise@example.be",
        language=language,
        purpose="registration_accepted",
        template="registration_accepted",
        subject="Subject",
        context={
            "recipient_name": "Louise",
            "entry": entry,
            "centres": [CENTRE],
            "slots": [(DAY, availability.MORNING)],
            "personal_url": "https://lmb.example/me/token",
        },
    )
    return message.body


def body(
    language, kind="self", doctor_id=None, registered_by_id=None, recipient="person"
):
    """The message on one line: sentences may wrap at any space."""
    text = raw_body(language, kind, doctor_id, registered_by_id, recipient)
    return " ".join(text.split())


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_a_patient_is_told_their_doctor_registered_them(app_ctx, language):
    to_doctor = body(language, "patient", doctor_id=7, registered_by_id=7,
                     recipient="doctor")  # fmt: skip
    to_person = body(language, "patient", doctor_id=7, registered_by_id=7)

    assert DOCTOR_TO_DOCTOR[language] in to_doctor
    assert DOCTOR_TO_PERSON[language] not in to_doctor
    assert DOCTOR_TO_PERSON[language] in to_person
    assert AGENT[language] not in to_person


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_a_caller_is_told_the_contact_centre_registered_them(app_ctx, language):
    text = body(language, registered_by_id=3)

    assert AGENT[language] in text
    assert DOCTOR_TO_PERSON[language] not in text


def test_someone_who_registered_themselves_reads_neither(app_ctx):
    text = body("nl")

    for sentence in (AGENT["nl"], DOCTOR_TO_PERSON["nl"], DOCTOR_TO_DOCTOR["nl"]):
        assert sentence not in text


def test_the_doctors_sentence_is_a_paragraph_of_its_own(app_ctx):
    text = raw_body("nl", "patient", doctor_id=7, registered_by_id=7)

    assert "op dit adres.\n\nVaccinatiecentra:" in text
