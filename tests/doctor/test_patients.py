"""Doctors registering patients through the HTTP forms (situation f)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Entry, EntryKind, Person, StaffUser, Submission
from app.services import availability, doctors, entries
from app.services.doctors import UnknownDoctor
from app.services.entries import PersonData, RegistrationData
from jobs import eligibility as eligibility_jobs
from tests.doctor.conftest import (
    ELIGIBLE,
    NOT_ELIGIBLE,
    logged_in,
    patient,
    soup,
    tomorrow,
)
from tests.factories import make_ssin

TEXTS = {
    "nl": {
        "title": "Een patiënt inschrijven",
        "calendar hint": "aan die op korte termijn zou passen",
        "recipient": "Wie krijgt de uitnodiging?",
        "received": "De inschrijving is ontvangen.",
        "active": "Op de reservelijst",
        "eligible": "Komt in aanmerking",
        "not eligible": "Komt niet in aanmerking",
        "to doctor": "De arts",
        "choose recipient": "Kies wie de uitnodiging krijgt: de patiënt of u.",
        "no riziv": "Uw account heeft geen RIZIV-nummer",
        "saved": "Uw keuze is bewaard: de uitnodiging gaat naar de patiënt.",
    },
    "fr": {
        "title": "Inscrire un patient",
        "calendar hint": "soir qui conviendrait à bref délai",
        "recipient": "Qui reçoit l’invitation\u00a0?",
        "received": "L’inscription a été reçue.",
        "active": "Sur la liste de réserve",
        "eligible": "Éligible",
        "not eligible": "Pas éligible",
        "to doctor": "Le médecin",
        "choose recipient": (
            "Choisissez qui reçoit l’invitation\u00a0: le patient ou vous."
        ),
        "no riziv": "Votre compte n’a pas de numéro INAMI",
        "saved": (
            "Votre choix a été enregistré\u00a0: l’invitation sera envoyée au patient."
        ),
    },
    "de": {
        "title": "Einen Patienten anmelden",
        "calendar hint": "der kurzfristig passen würde",
        "recipient": "Wer erhält die Einladung?",
        "received": "Die Anmeldung ist eingegangen.",
        "active": "Auf der Reserveliste",
        "eligible": "Berechtigt",
        "not eligible": "Nicht berechtigt",
        "to doctor": "Der Arzt",
        "choose recipient": (
            "Wählen Sie, wer die Einladung erhält: der Patient oder Sie."
        ),
        "no riziv": "Ihr Konto hat keine LIKIV-Nummer",
        "saved": "Ihre Auswahl wurde gespeichert: Die Einladung geht an den Patienten.",
    },
}


def in_context(app, function, *args):
    """Run `function` in an app context of its own (requests must not share one)."""
    with app.app_context():
        try:
            return function(*args)
        finally:
            db.session.remove()


def only_entry():
    return db.session.scalars(select(Entry)).one()


def check_eligibility(app):
    def run():
        entry_id = db.session.scalar(select(Entry.id).order_by(Entry.id.desc()))
        assert eligibility_jobs.check_entry(entry_id) == "checked"
        return entry_id

    return in_context(app, run)


def audit_rows(app):
    """The audit events about entries (not log-ins), oldest first."""

    def read():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [
            (e.action, e.actor_id, e.entry_id, e.detail)
            for e in rows
            if not e.action.startswith("staff_")
        ]

    return in_context(app, read)


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_the_form_has_the_citizen_fields_and_the_recipient_choice(client, doctor, lang):
    logged_in(client, "dr.peeters@lmb.test", lang)

    page = soup(client.get("/doctor/patients/new"))

    assert page.html["lang"] == lang
    assert page.h1.get_text(strip=True) == TEXTS[lang]["title"]
    form = page.find("form", action="/doctor/patients/new")
    for name in ("ssin", "last_name", "first_name", "postcode", "email", "mobile"):
        field = form.find("input", attrs={"name": name})
        assert form.find("label", attrs={"for": field["id"]}), name
    assert form.find(
        "input", attrs={"name": "language", "value": lang, "checked": True}
    )
    recipient = form.find("fieldset", id="recipient")
    assert recipient.legend.get_text(strip=True) == TEXTS[lang]["recipient"]
    choices = [
        i["value"] for i in recipient.find_all("input", attrs={"name": "recipient"})
    ]
    assert choices == ["person", "doctor"]
    assert recipient.find("input", attrs={"value": "person", "checked": True})
    # The calendar and the centre list call the citizen fragments in the
    # doctor's language.
    postcode = form.find("input", attrs={"name": "postcode"})
    # The partials speak of the patient, not to the doctor ("you").
    assert postcode["hx-get"] == f"/{lang}/register/centres?who=other"
    day_button = form.find("button", attrs={"name": "calendar_action"})
    assert day_button["hx-post"] == f"/{lang}/register/calendar?who=other"
    hint = form.find(id="availability-hint").get_text(strip=True)
    assert TEXTS[lang]["calendar hint"] in hint, hint
    days = {
        b["value"].split(":")[0]
        for b in form.find_all("input", attrs={"name": "availability"})
    }
    assert tomorrow().isoformat() in days
    assert "dr.peeters@lmb.test" in page.find("nav", class_="staff-nav").get_text()
    # The browser never offers the doctor's own name or address.
    typed = form.select("input[type=text], input[type=email], input[type=tel]")
    assert {i.get("autocomplete") for i in typed} == {"off"}


def test_the_citizen_fragments_answer_for_the_doctor_page(client, doctor):
    logged_in(client, "dr.peeters@lmb.test", "fr")

    centres = client.get(
        "/fr/register/centres?who=other&postcode=4000", headers={"HX-Request": "true"}
    )
    day = tomorrow().isoformat()
    calendar = client.post(
        "/fr/register/calendar?who=other",
        data={"calendar_action": f"day:{day}"},
        headers={"HX-Request": "true"},
    )

    near = [i["value"] for i in soup(centres).select("#centres > fieldset > ul input")]
    assert near == ["wal-liege-feronstree", "wal-bressoux"]
    ticked = [i["value"] for i in soup(calendar).find_all("input", checked=True)]
    assert ticked == [f"{day}:morning", f"{day}:afternoon", f"{day}:evening"]
    # The fragments keep speaking of the patient once swapped in.
    assert "Choisissez un ou plusieurs centres accessibles à bref délai" in (
        soup(centres).get_text()
    )
    assert (
        soup(calendar)
        .find(id="availability-hint")
        .get_text(strip=True)
        .startswith(
            "Cochez chaque matin, après-midi et soir qui conviendrait à bref délai"
        )
    )
    assert (
        soup(calendar).find("button", attrs={"name": "calendar_action"})["hx-post"]
        == "/fr/register/calendar?who=other"
    )


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_a_doctor_registers_a_patient_who_then_shows_in_the_list(
    app, client, doctor, vcdb, lang
):
    logged_in(client, "dr.peeters@lmb.test", lang)

    response = client.post("/doctor/patients/new", data=patient(recipient="doctor"))

    assert response.status_code == 303
    assert response.headers["Location"] == "/doctor/?done=registered"

    def stored():
        entry = only_entry()
        person = entry.people[0]
        return (
            entry.kind,
            entry.registered_by_id,
            entry.doctor_id,
            entry.recipient,
            entry.state,
            person.ssin,
            person.last_name,
            [link.centre.code for link in entry.centres],
        )

    assert in_context(app, stored) == (
        EntryKind.PATIENT,
        doctor,
        doctor,
        "doctor",
        "pending",
        ELIGIBLE,
        "Janssens",
        ["vl-gent-flanders-expo"],
    )

    entry_id = check_eligibility(app)
    page = soup(client.get("/doctor/?done=registered"))

    assert TEXTS[lang]["received"] in page.find(class_="success").get_text()
    row = page.find("table", class_="patients").tbody.find("tr")
    cells = [c.get_text(strip=True) for c in row.find_all(["th", "td"])]
    assert cells[0] == "Janssens, Jozef"
    assert cells[1] == TEXTS[lang]["active"]
    assert cells[2] == TEXTS[lang]["eligible"]
    assert cells[3] == "Vaccinatiecentrum Gent (Flanders Expo, hal 2)"
    assert cells[5] == TEXTS[lang]["to doctor"]
    assert row.find("a")["href"] == f"/doctor/patients/{entry_id}"
    assert audit_rows(app) == [
        ("entry_registered", doctor, entry_id, "recipient doctor"),
        ("entry_listed", doctor, entry_id, None),
    ]


def test_the_list_shows_a_patient_who_is_not_eligible(app, client, doctor, vcdb):
    logged_in(client, "dr.peeters@lmb.test", "nl")
    client.post("/doctor/patients/new", data=patient(ssin=NOT_ELIGIBLE))
    check_eligibility(app)

    row = soup(client.get("/doctor/")).find("table", class_="patients").tbody.tr

    assert row.find_all("td")[1].get_text(strip=True) == TEXTS["nl"]["not eligible"]


def test_the_availability_until_is_the_last_day_chosen(app, client, doctor):
    logged_in(client, "dr.peeters@lmb.test", "nl")
    last = tomorrow() + timedelta(days=5)
    client.post(
        "/doctor/patients/new",
        data=patient(availability=[f"{tomorrow()}:morning", f"{last}:evening"]),
    )

    assert in_context(app, lambda: only_entry().available_until) == last


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_invalid_patient_data_is_shown_again_with_each_error(app, client, doctor, lang):
    logged_in(client, "dr.peeters@lmb.test", lang)

    response = client.post(
        "/doctor/patients/new",
        data=patient(ssin="12345678901", email="not-an-address", recipient=None),
    )

    assert response.status_code == 422
    page = soup(response)
    summary = page.find(class_="error-summary")
    targets = [a["href"] for a in summary.find_all("a")]
    assert "#ssin" in targets and "#email" in targets and "#recipient" in targets
    assert TEXTS[lang]["choose recipient"] in page.find(id="recipient").get_text()
    assert page.find("input", attrs={"name": "last_name"})["value"] == "Janssens"
    assert in_context(app, lambda: db.session.scalar(select(func.count(Entry.id)))) == 0


def test_an_unknown_recipient_value_is_refused(app, client, doctor):
    logged_in(client, "dr.peeters@lmb.test", "nl")

    response = client.post("/doctor/patients/new", data=patient(recipient="neighbour"))

    assert response.status_code == 422
    assert in_context(app, lambda: db.session.scalar(select(func.count(Entry.id)))) == 0


def test_a_calendar_button_without_javascript_fills_in_and_stores_nothing(
    app, client, doctor
):
    logged_in(client, "dr.peeters@lmb.test", "nl")
    day = tomorrow().isoformat()

    response = client.post(
        "/doctor/patients/new",
        data=patient(availability=[], calendar_action=f"day:{day}"),
    )

    assert response.status_code == 200
    ticked = [i["value"] for i in soup(response).find_all("input", checked=True)
              if i["name"] == "availability"]  # fmt: skip
    assert ticked == [f"{day}:morning", f"{day}:afternoon", f"{day}:evening"]
    assert in_context(app, lambda: db.session.scalar(select(func.count(Entry.id)))) == 0


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_a_doctor_account_without_riziv_number_is_an_unknown_doctor(
    app, client, doctor, lang
):
    def drop_number():
        db.session.get(StaffUser, doctor).riziv_number = None
        db.session.commit()

    in_context(app, drop_number)
    logged_in(client, "dr.peeters@lmb.test", lang)

    for response in (
        client.get("/doctor/"),
        client.get("/doctor/patients/new"),
        client.post("/doctor/patients/new", data=patient()),
    ):
        assert response.status_code == 403
        assert TEXTS[lang]["no riziv"] in soup(response).find("main").get_text()
    assert in_context(app, lambda: db.session.scalar(select(func.count(Entry.id)))) == 0


def registration():
    return RegistrationData(
        person=PersonData(
            ssin=make_ssin("470101", 42),
            last_name="Wouters",
            first_name="An",
            email="an.wouters@example.be",
            mobile="+32470000001",
        ),
        postcode="9000",
        language="nl",
        centre_ids=entries.active_centre_ids(["vl-gent-flanders-expo"]),
        slots=[(tomorrow(), availability.MORNING)],
    )


def test_a_patient_for_a_doctor_id_that_is_no_doctor_is_refused(app_ctx, make_user):
    agent = make_user("agent@lmb.test", "agent")
    doctor_without_number = make_user("dr.x@lmb.test", "doctor")
    db.session.get(StaffUser, doctor_without_number).riziv_number = ""
    db.session.commit()

    for doctor_id in (987654, agent, doctor_without_number, None, "1"):
        with pytest.raises(UnknownDoctor):
            doctors.register_patient(doctor_id, registration(), doctors.PATIENT)
        db.session.rollback()

    assert db.session.scalar(select(func.count(Entry.id))) == 0
    assert db.session.scalar(select(func.count(Submission.id))) == 0


def test_a_deactivated_doctor_is_refused(app_ctx, make_user):
    doctor_id = make_user("dr.y@lmb.test", "doctor")
    db.session.get(StaffUser, doctor_id).active = False
    db.session.commit()

    with pytest.raises(UnknownDoctor):
        doctors.register_patient(doctor_id, registration(), doctors.DOCTOR)


def test_a_patient_already_on_the_list_stays_with_their_own_entry(app_ctx, make_user):
    doctor_id = make_user("dr.z@lmb.test", "doctor")
    first = entries.register(registration())
    db.session.commit()

    again = doctors.register_patient(doctor_id, registration(), doctors.DOCTOR)
    db.session.commit()

    assert again.is_update and again.entry_id == first.entry_id
    entry = db.session.get(Entry, first.entry_id)
    assert (entry.kind, entry.doctor_id, entry.recipient) == ("self", None, "person")
    assert db.session.scalar(select(func.count(Person.id))) == 1


def registered_patient(app, client, **overrides):
    client.post("/doctor/patients/new", data=patient(**overrides))
    return in_context(app, lambda: db.session.scalar(select(Entry.id)))


def test_reading_a_patient_is_audited_and_shows_the_entry(app, client, doctor, vcdb):
    logged_in(client, "dr.peeters@lmb.test", "de")
    entry_id = registered_patient(app, client, recipient="person")
    check_eligibility(app)

    page = soup(client.get(f"/doctor/patients/{entry_id}"))

    assert page.h1.get_text(strip=True) == "Jozef Janssens"
    summary = page.find("dl").get_text()
    assert TEXTS["de"]["active"] in summary and TEXTS["de"]["eligible"] in summary
    assert "Vaccinatiecentrum Gent (Flanders Expo, hal 2)" in page.get_text()
    assert page.find("input", attrs={"value": "person", "checked": True})
    assert ("entry_read", doctor, entry_id, None) in audit_rows(app)


def test_a_doctor_sees_only_their_own_patients(app, client, doctor, make_user):
    make_user("dr.other@lmb.test", "doctor", riziv_number="20000000000")
    logged_in(client, "dr.peeters@lmb.test", "nl")
    mine = registered_patient(app, client)
    other = app.test_client()
    logged_in(other, "dr.other@lmb.test", "nl")

    assert other.get(f"/doctor/patients/{mine}").status_code == 404
    assert (
        other.post(
            f"/doctor/patients/{mine}/recipient", data={"recipient": "person"}
        ).status_code
        == 404
    )
    assert soup(other.get("/doctor/")).find("table") is None
    assert in_context(app, lambda: db.session.get(Entry, mine).recipient) == "doctor"
    assert other.get("/doctor/patients/999999").status_code == 404


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_a_doctor_changes_who_receives_the_invitation(app, client, doctor, lang):
    logged_in(client, "dr.peeters@lmb.test", lang)
    entry_id = registered_patient(app, client, recipient="doctor")

    response = client.post(
        f"/doctor/patients/{entry_id}/recipient", data={"recipient": "person"}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/doctor/patients/{entry_id}?done=recipient"
    page = soup(client.get(response.headers["Location"]))
    assert page.find(class_="success").get_text(strip=True) == TEXTS[lang]["saved"]
    assert (
        in_context(app, lambda: db.session.get(Entry, entry_id).recipient) == "person"
    )
    assert ("entry_changed", doctor, entry_id, "recipient") in audit_rows(app)


def test_a_bad_recipient_change_is_refused_with_the_page_again(app, client, doctor):
    logged_in(client, "dr.peeters@lmb.test", "nl")
    entry_id = registered_patient(app, client, recipient="doctor")

    response = client.post(
        f"/doctor/patients/{entry_id}/recipient", data={"recipient": "both"}
    )

    assert response.status_code == 422
    assert (
        TEXTS["nl"]["choose recipient"]
        in soup(response).find(id="recipient").get_text()
    )
    assert (
        in_context(app, lambda: db.session.get(Entry, entry_id).recipient) == "doctor"
    )


DOCTOR_PAGES = [
    ("get", "/doctor/"),
    ("get", "/doctor/patients/new"),
    ("post", "/doctor/patients/new"),
    ("get", "/doctor/patients/1"),
    ("post", "/doctor/patients/1/recipient"),
]


def test_doctor_pages_are_for_doctors_only(app, client, make_user):
    for method, path in DOCTOR_PAGES:
        assert getattr(client, method)(path).status_code == 302, path  # log in
    for role in ("agent", "centre_staff", "operator", "monitor"):
        make_user(f"{role}@lmb.test", role)
        other = app.test_client()
        logged_in(other, f"{role}@lmb.test")
        for method, path in DOCTOR_PAGES:
            assert getattr(other, method)(path).status_code == 403, (role, path)


def test_the_choice_decides_where_invitations_go(app, client, doctor):
    from app.services.invitations import recipient

    logged_in(client, "dr.peeters@lmb.test", "nl")
    entry_id = registered_patient(app, client, recipient="doctor")

    def address():
        who = recipient(db.session.get(Entry, entry_id))
        return who.email, who.for_doctor

    assert in_context(app, address) == ("dr.peeters@lmb.test", True)
    client.post(f"/doctor/patients/{entry_id}/recipient", data={"recipient": "person"})
    assert in_context(app, address) == ("jozef.janssens@example.be", False)


@pytest.mark.parametrize(
    "data",
    [
        {"ssin": ["a", "b"], "recipient": ["person", "doctor"]},
        {"recipient": "x" * 10_000, "language": "\u0000"},
        {"availability": ["2020-01-01:morning", "nonsense", "9" * 500]},
        {"centres": ["x" * 300] * 50, "calendar_action": "week:" + "9" * 100},
    ],
)
def test_hostile_posts_never_cause_a_server_error(app, client, doctor, data):
    logged_in(client, "dr.peeters@lmb.test", "nl")

    response = client.post("/doctor/patients/new", data=data)
    changed = client.post("/doctor/patients/1/recipient", data=data)

    assert response.status_code in (200, 400, 422)
    assert changed.status_code in (400, 404, 422)
    assert in_context(app, lambda: db.session.scalar(select(func.count(Entry.id)))) == 0
