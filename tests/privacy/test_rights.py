"""The person's rights through the personal link: see, download, correct."""

import json
from datetime import UTC, datetime

from bs4 import BeautifulSoup
from flask_babel import force_locale
from sqlalchemy import select

from app import links
from app.extensions import db
from app.formats import format_day
from app.models import AuditEvent, Entry, InvitationState, OutboxMessage, Person
from app.services import audit, rights, users
from tests.citizen.test_registration import tomorrow
from tests.privacy.conftest import ERASED, KEPT, invite, personal_path, register


def page_text(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ")


def test_every_stored_column_is_listed():
    assert set(rights.ENTRY_FIELDS) == set(Entry.__table__.columns.keys())
    assert set(rights.PERSON_FIELDS) == set(Person.__table__.columns.keys())


def test_the_page_shows_every_stored_field_decrypted(client, app_ctx, vcdb):
    entry = register(client, ERASED)
    code = entry.people[0].vaccination_code
    invite(entry, InvitationState.BOOKED)
    staff = users.create_user(
        "agent.rights@lmb.test", "correct horse battery staple 42", "agent"
    )
    audit.record(staff, audit.ENTRY_READ, entry.id)
    db.session.commit()

    response = client.get(personal_path(entry) + "/data")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = page_text(response)
    for value in (
        ERASED.ssin,
        ERASED.last_name,
        ERASED.first_name,
        ERASED.email,
        ERASED.e164,
        code,
        "15 augustus 1947",  # birth date, from the national number
        "Mag uitgenodigd worden",  # eligibility
        "Vaccinatiecentrum Gent (Flanders Expo, hal 2)",
        "U staat op de reservelijst",  # the confirmation e-mail
        "Geboekt",  # the invitation's state
        "Medewerker van het contactcenter Heeft ze bekeken",  # who looked at it
    ):
        assert value in text, value


def test_the_page_writes_days_and_times_as_people_read_them(client, app_ctx, vcdb):
    entry = register(client, ERASED)
    # 09:05 UTC in winter is 10:05 in Brussels.
    entry.registered_at = datetime(2026, 1, 5, 9, 5, tzinfo=UTC)
    db.session.commit()
    # The form chose tomorrow's morning and evening.
    with client.application.test_request_context(), force_locale("nl"):
        weekday = format_day(tomorrow())
    text = page_text(client.get(personal_path(entry) + "/data"))

    assert "5 januari 2026 10:05" in text
    assert "Taal van onze berichten Nederlands" in " ".join(text.split())
    assert f"{weekday}: voormiddag, avond" in text
    assert ":morning" not in text and ":evening" not in text
    assert "UTC" not in text


def test_the_download_is_a_json_attachment_never_cached(client, app_ctx, vcdb):
    entry = register(client, ERASED)

    response = client.get(personal_path(entry) + "/data.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="reserve-list-my-data.json"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    (person,) = data["people"]
    assert {k: person[k] for k in ("ssin", "last_name", "email", "mobile")} == {
        "ssin": ERASED.ssin,
        "last_name": ERASED.last_name,
        "email": ERASED.email,
        "mobile": ERASED.e164,
    }
    assert person["birth_day"] == "1947-08-15"
    assert person["eligibility"] == "eligible"
    assert data["registration"]["postcode"] == "9000"
    assert data["registration"]["state"] == "active"
    assert [c["code"] for c in data["centres"]] == ["vl-gent-flanders-expo"]
    assert [m["purpose"] for m in data["messages"]] == ["registration_accepted"]
    assert data["invitations"] == [] and data["staff_access"] == []


def test_a_forged_link_shows_nothing(client, app_ctx, vcdb):
    entry = register(client, ERASED)
    path = personal_path(entry)

    for suffix in ("/data", "/data.json", f"/people/{entry.people[0].id}/correct"):
        assert client.get(path[:-2] + "xx" + suffix).status_code == 404


def test_correcting_with_bad_values_is_refused_with_the_registration_checks(
    client, app_ctx, vcdb
):
    entry = register(client, ERASED)
    person_id = entry.people[0].id

    response = client.post(
        personal_path(entry) + f"/people/{person_id}/correct",
        data={
            "last_name": "",
            "first_name": "Griselda",
            "email": "not-an-address",
            "mobile": "02 123 45 67",
            "language": "xx",
        },
    )

    assert response.status_code == 422
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    errors = {p["id"] for p in page.select(".error-message")}
    assert errors == {
        "last_name-error",
        "email-error",
        "mobile-error",
        "language-error",
    }
    db.session.expire_all()
    assert db.session.get(Person, person_id).email == ERASED.email


def test_a_new_email_address_is_saved_and_the_old_one_told(client, app_ctx, vcdb):
    entry = register(client, ERASED)
    person_id = entry.people[0].id
    old_path = personal_path(entry)
    form = client.get(old_path + f"/people/{person_id}/correct")
    assert form.status_code == 200
    assert ERASED.email in form.get_data(as_text=True)

    response = client.post(
        old_path + f"/people/{person_id}/correct",
        data={
            "last_name": "  Vandermeersch ",
            "first_name": ERASED.first_name,
            "email": "Griselda.New@Example.be",
            "mobile": "+32 476 54 32 10",
            "language": "fr",
        },
    )

    assert response.status_code == 303
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    person = entry.people[0]
    assert (person.last_name, person.email, person.mobile, entry.language) == (
        "Vandermeersch",
        "Griselda.New@example.be",
        ERASED.e164,
        "fr",
    )
    # A link signed again (a new version): its token names the corrected entry.
    location = response.headers["Location"]
    assert location.startswith("/fr/me/") and "/data?" in location
    new_token = location.removeprefix("/fr/me/").split("/")[0]
    assert links.entry_for_personal_token(new_token) == entry
    assert client.get(old_path).status_code == 404
    messages = {
        m.purpose: m
        for m in db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.purpose.in_(("details_corrected", "email_replaced"))
            )
        )
    }
    assert messages["details_corrected"].recipient == "Griselda.New@example.be"
    assert "nom de famille" in messages["details_corrected"].body
    assert messages["email_replaced"].recipient == ERASED.email
    # The old address is warned in the language used with it so far.
    assert (messages["email_replaced"].language, entry.language) == ("nl", "fr")
    assert "Het e-mailadres van uw inschrijving" in messages["email_replaced"].body
    assert "griselda.new" not in messages["email_replaced"].body.lower()
    events = db.session.execute(
        select(AuditEvent.actor_role, AuditEvent.action, AuditEvent.detail).where(
            AuditEvent.entry_id == entry.id
        )
    ).all()
    assert events == [("citizen", "entry_corrected", "last_name,email,language")]


def test_saving_the_same_details_changes_nothing(client, app_ctx, vcdb):
    entry = register(client, ERASED)
    person_id = entry.people[0].id
    path = personal_path(entry)

    response = client.post(
        path + f"/people/{person_id}/correct",
        data={
            "last_name": ERASED.last_name,
            "first_name": ERASED.first_name,
            "email": ERASED.email,
            "mobile": ERASED.mobile,
            "language": "nl",
        },
    )

    assert response.status_code == 303
    assert "done=unchanged" in response.headers["Location"]
    assert client.get(path).status_code == 200
    purposes = db.session.scalars(select(OutboxMessage.purpose)).all()
    assert purposes == ["registration_accepted"]
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_someone_elses_person_cannot_be_corrected(client, app_ctx, vcdb):
    entry = register(client, ERASED)
    other = register(client, KEPT)

    response = client.get(
        personal_path(entry) + f"/people/{other.people[0].id}/correct"
    )

    assert response.status_code == 404


def test_the_personal_page_links_to_the_data_page(client, app_ctx, vcdb):
    entry = register(client, ERASED)
    path = personal_path(entry)

    page = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")

    assert page.find("a", href=path + "/data")
