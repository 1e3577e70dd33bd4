"""Registering through the HTTP form, and the eligibility check that follows."""

from datetime import UTC, date, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import (
    Eligibility,
    Entry,
    EntryCentre,
    EntryState,
    OutboxMessage,
    Person,
    Submission,
)
from app.services import availability
from jobs import eligibility as eligibility_jobs
from tests.factories import make_ssin

ELIGIBLE = make_ssin("450312", 123)  # born 12 March 1945, serial 123: eligible
NOT_ELIGIBLE = make_ssin("500101", 812)
BOOKED = make_ssin("500101", 860)
VACCINATED = make_ssin("500101", 910)
UNKNOWN = make_ssin("500101", 960)


def tomorrow():
    return availability.local_now().date() + timedelta(days=1)


def form(**overrides):
    day = tomorrow().isoformat()
    data = {
        "ssin": ELIGIBLE,
        "last_name": "Peeters",
        "first_name": "Maria",
        "postcode": "9000",
        "email": "maria.peeters@example.be",
        "mobile": "0470 12 34 56",
        "language": "nl",
        "centres": ["vl-gent-flanders-expo"],
        "availability": [f"{day}:morning", f"{day}:evening"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_form_offers_every_field_and_fifteen_days_at_most(client):
    page = soup(client.get("/fr/register?postcode=4000"))

    for name in ("ssin", "last_name", "first_name", "postcode", "email", "mobile"):
        field = page.find("input", attrs={"name": name})
        assert page.find("label", attrs={"for": field["id"]}), name
    # Autofill for the person's own details, never for the national number.
    autocomplete = {
        name: page.find("input", attrs={"name": name}).get("autocomplete")
        for name in ("ssin", "last_name", "first_name", "postcode", "email", "mobile")
    }
    assert autocomplete == {
        "ssin": "off",
        "last_name": "family-name",
        "first_name": "given-name",
        "postcode": "postal-code",
        "email": "email",
        "mobile": "tel",
    }
    assert page.find(
        "input", attrs={"name": "language", "value": "fr", "checked": True}
    )
    near = [i["value"] for i in page.select("#centres > fieldset > ul input")]
    assert near == ["wal-liege-feronstree", "wal-bressoux"]
    days = {
        box["value"].split(":")[0]
        for box in page.find_all("input", attrs={"name": "availability"})
    }
    assert tomorrow().isoformat() in days
    assert (tomorrow() + timedelta(days=13)).isoformat() in days
    assert (tomorrow() + timedelta(days=14)).isoformat() not in days
    assert len(days) in (14, 15)


def test_a_valid_registration_is_stored_encrypted_and_pending(client, app_ctx):
    response = client.post("/nl/register", data=form())

    assert response.status_code == 303
    assert response.headers["Location"].startswith("/nl/register/status/")
    person = db.session.scalar(select(Person))
    assert (person.ssin, person.last_name, person.first_name) == (
        ELIGIBLE,
        "Peeters",
        "Maria",
    )
    assert person.mobile == "+32470123456"
    assert person.eligibility == Eligibility.PENDING
    assert person.birth_day == availability.day_number(date(1945, 3, 12))
    entry = person.entry
    assert (entry.state, entry.language, entry.postcode) == ("pending", "nl", "9000")
    assert availability.decode(entry.avail_from_day, entry.avail_bits) == [
        (tomorrow(), availability.MORNING),
        (tomorrow(), availability.EVENING),
    ]
    assert [link.centre.code for link in entry.centres] == ["vl-gent-flanders-expo"]
    assert entry.centres[0].rankable is False
    raw = db.session.execute(
        text("SELECT ssin, email, mobile, last_name FROM person")
    ).one()
    for value in raw:
        assert ELIGIBLE not in value and "peeters" not in value.lower()
        assert "+32470123456" not in value


def test_the_status_page_polls_until_the_check_is_done(client, app_ctx, vcdb):
    location = client.post("/de/register", data=form(language="de")).headers["Location"]

    waiting = soup(client.get(location))
    assert waiting.find(id="status")["hx-trigger"] == "load delay:2s"
    assert waiting.find("a", href=location)  # the plain refresh link

    entry_id = db.session.scalar(select(Entry.id))
    assert eligibility_jobs.check_entry(entry_id) == "checked"

    done = client.get(location, headers={"HX-Request": "true"})
    fragment = soup(done)
    assert "hx-trigger" not in fragment.find(id="status").attrs
    assert "Sie können auf die Reserveliste" in fragment.get_text()


@pytest.mark.parametrize(
    ("ssin", "eligibility", "state", "outcome_text"),
    [
        (
            ELIGIBLE,
            Eligibility.ELIGIBLE,
            EntryState.ACTIVE,
            "U kunt op de reservelijst",
        ),
        (
            NOT_ELIGIBLE,
            Eligibility.NOT_ELIGIBLE,
            EntryState.INACTIVE,
            "U kunt niet op de reservelijst",
        ),
        (
            BOOKED,
            Eligibility.BOOKED,
            EntryState.INACTIVE,
            "U kunt niet op de reservelijst",
        ),
        (
            VACCINATED,
            Eligibility.VACCINATED,
            EntryState.INACTIVE,
            "U kunt niet op de reservelijst",
        ),
        (
            UNKNOWN,
            Eligibility.UNKNOWN,
            EntryState.INACTIVE,
            "U kunt niet op de reservelijst",
        ),
    ],
)
def test_each_answer_of_the_vaccination_code_database(
    client, app_ctx, vcdb, ssin, eligibility, state, outcome_text
):
    location = client.post("/nl/register", data=form(ssin=ssin)).headers["Location"]
    entry_id = db.session.scalar(select(Entry.id))

    eligibility_jobs.check_entry(entry_id)

    db.session.expire_all()
    entry = db.session.get(Entry, entry_id)
    person = entry.people[0]
    assert person.eligibility == eligibility
    assert entry.state == state
    assert entry.centres[0].rankable is (state == EntryState.ACTIVE)
    if eligibility == Eligibility.ELIGIBLE:
        assert len(person.vaccination_code) >= 16
    assert outcome_text in soup(client.get(location)).find(id="status").get_text()
    message = db.session.scalar(select(OutboxMessage))
    accepted = eligibility == Eligibility.ELIGIBLE
    assert message.purpose == (
        "registration_accepted" if accepted else "registration_refused"
    )
    assert message.language == "nl" and message.recipient == "maria.peeters@example.be"


def test_the_confirmation_mail_carries_the_personal_link_in_the_persons_language(
    client, app_ctx, vcdb
):
    client.post("/fr/register", data=form(language="fr"))
    eligibility_jobs.check_entry(db.session.scalar(select(Entry.id)))

    message = db.session.scalar(select(OutboxMessage))
    assert message.subject == "Vous êtes sur la liste de réserve"
    assert "Vaccinatiecentrum Gent (Flanders Expo, hal 2)" in message.body
    link = next(line for line in message.body.splitlines() if "/fr/me/" in line).strip()
    page = client.get(link.replace("http://127.0.0.1:5000", ""))
    assert page.status_code == 200
    assert "Maria Peeters" in page.get_data(as_text=True)


def test_an_outage_keeps_the_registration_pending_until_the_service_is_back(
    client, app_ctx, vcdb
):
    client.post("/nl/register", data=form())
    entry_id = db.session.scalar(select(Entry.id))
    vcdb.configure(outage=True)

    assert eligibility_jobs.check_entry(entry_id) == "unavailable"

    person = db.session.scalar(select(Person))
    assert person.eligibility == Eligibility.PENDING
    assert person.check_attempts == 1
    assert count(OutboxMessage) == 0
    vcdb.configure(outage=False)
    # Not due yet: the sweep leaves it alone for 30 seconds.
    assert eligibility_jobs.sweep() == 0
    person.next_check_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert eligibility_jobs.sweep() == 1
    assert eligibility_jobs.check_entry(entry_id) == "checked"
    db.session.expire_all()
    assert db.session.get(Entry, entry_id).state == EntryState.ACTIVE
    assert count(OutboxMessage) == 1


def test_a_check_run_twice_mails_once(client, app_ctx, vcdb):
    client.post("/nl/register", data=form())
    entry_id = db.session.scalar(select(Entry.id))

    eligibility_jobs.check_entry(entry_id)
    eligibility_jobs.check_entry(entry_id)

    assert count(OutboxMessage) == 1


def test_redis_down_at_submit_time_loses_nothing(make_app, app, app_ctx, vcdb):
    broken = make_app(
        WTF_CSRF_ENABLED=False,
        REDIS_URL="redis://127.0.0.1:1/0",
        RATELIMIT_ENABLED=False,
    )

    response = broken.test_client().post("/nl/register", data=form())

    assert response.status_code == 303
    submission = db.session.scalar(select(Submission))
    assert submission.entry.people[0].eligibility == Eligibility.PENDING
    # A minute later the sweep finds the registration whose job never started.
    submission.created_at -= timedelta(minutes=2)
    db.session.commit()
    assert eligibility_jobs.sweep() == 1


def test_registering_again_never_duplicates_and_needs_confirmation(
    client, app_ctx, vcdb
):
    first = client.post("/nl/register", data=form())
    eligibility_jobs.check_entry(db.session.scalar(select(Entry.id)))
    # In German now: the message to the old address stays in Dutch.
    second = client.post(
        "/de/register",
        data=form(
            email="maria@example.be",
            ssin="45.03.12-123." + ELIGIBLE[-2:],
            language="de",
        ),
    )

    # Same answer, same kind of page: nothing tells the two apart.
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"].startswith("/de/register/status/")
    assert count(Person) == 1 and count(Entry) == 1
    entry_id = db.session.scalar(select(Entry.id))
    eligibility_jobs.check_entry(entry_id)
    confirm = db.session.scalars(
        select(OutboxMessage).filter_by(purpose="confirm_update")
    ).one()
    # Sent to the address already registered, not to the new one.
    assert (confirm.recipient, confirm.language) == ("maria.peeters@example.be", "nl")
    link = next(line for line in confirm.body.splitlines() if "/nl/confirm/" in line)
    path = link.strip().replace("http://127.0.0.1:5000", "")
    page = client.get(path)
    assert page.status_code == 200
    # The page shows what confirming would store, before anything changes.
    shown = soup(page).find("dl").get_text(" ", strip=True)
    assert "maria@example.be" in shown and "Maria Peeters" in shown
    assert "Vaccinatiecentrum Gent" in shown
    assert db.session.scalar(select(Person)).email == "maria.peeters@example.be"
    assert client.post(path).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Person)).email == "maria@example.be"
    # Every older link died with the update: the new one goes to the new
    # address, in the new language.
    fresh = db.session.scalars(
        select(OutboxMessage)
        .filter_by(purpose="registration_accepted")
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert (fresh.recipient, fresh.language) == ("maria@example.be", "de")
    assert "/de/me/" in fresh.body


def test_a_refused_registration_does_not_keep_the_number_out(client, app_ctx, vcdb):
    # Someone mistypes a number; the database does not know it yet.
    vcdb.set_person(ELIGIBLE, status="unknown")
    client.post("/nl/register", data=form(email="typo@example.be", language="de"))
    eligibility_jobs.check_entry(db.session.scalar(select(Entry.id)))
    assert db.session.scalar(select(Entry.state)) == EntryState.INACTIVE

    # The number's owner registers, in French, with their own address.
    vcdb.set_person(ELIGIBLE, status="eligible")
    second = client.post(
        "/fr/register", data=form(email="owner@example.be", language="fr")
    )
    assert second.status_code == 303, second.get_data(as_text=True)[:3000]
    entry = db.session.scalars(select(Entry)).one()
    eligibility_jobs.check_entry(entry.id)

    # A new entry, not an update waiting for the first address's consent.
    assert count(Person) == 1 and count(Submission) == 1
    assert (entry.state, entry.language) == (EntryState.ACTIVE, "fr")
    accepted = db.session.scalars(
        select(OutboxMessage).filter_by(purpose="registration_accepted")
    ).one()
    assert (accepted.recipient, accepted.language) == ("owner@example.be", "fr")
    assert not db.session.scalars(
        select(OutboxMessage).filter_by(purpose="confirm_update")
    ).all()
    # The refused entry's messages keep no address or text.
    refusal = db.session.scalars(
        select(OutboxMessage).filter_by(purpose="registration_refused")
    ).one()
    assert refusal.recipient is None and refusal.body is None


@pytest.mark.parametrize(
    ("lang", "field", "value", "message"),
    [
        ("nl", "ssin", "12345678901", "Dit rijksregisternummer is niet geldig"),
        ("fr", "ssin", "", "Indiquez le numéro de registre national"),
        ("de", "mobile", "02 123 45 67", "Geben Sie eine belgische Handynummer"),
        ("nl", "email", "maria@", "Vul een e-mailadres in"),
        ("fr", "postcode", "9999", "Nous ne connaissons pas ce code postal"),
        ("de", "centres", [], "Wählen Sie mindestens ein Impfzentrum"),
        ("nl", "availability", [], "Kies minstens één dagdeel"),
        ("nl", "availability", ["2020-01-01:morning"], "U kunt enkel dagdelen kiezen"),
        ("fr", "last_name", "", "Indiquez le nom"),
        ("nl", "language", "en", "Kies een taal"),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_nothing_is_stored(
    client, app_ctx, lang, field, value, message
):
    response = client.post(f"/{lang}/register", data=form(**{field: value}))

    assert response.status_code == 422
    page = soup(response)
    summary = page.find(id="error-summary")
    assert message in summary.get_text()
    assert message in page.find(id=f"{field}-error").get_text()
    # The other fields keep what was typed.
    if field != "first_name":
        assert page.find("input", attrs={"name": "first_name"})["value"] == "Maria"
    assert count(Person) == 0 and count(Entry) == 0


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"ssin": "x" * 100_000},
        {"ssin": ["a", "b"], "centres": "<script>alert(1)</script>"},
        {"availability": ["'; DROP TABLE person; --"] * 500},
        {"language": "\u0000", "postcode": "\u202e9000", "email": "a@b.c" * 1000},
        {"csrf_token": "x", "first_name": "💉" * 50},
    ],
)
def test_hostile_posts_never_cause_a_server_error(client, app_ctx, data):
    response = client.post("/nl/register", data=data)

    # 400 for what no browser sends (a NUL byte), 422 for the rest.
    assert response.status_code in (400, 422)
    assert count(Person) == 0


def test_the_honeypot_turns_bots_away_without_storing(client, app_ctx):
    response = client.post("/nl/register", data=form(website="http://spam.example"))

    assert response.status_code == 303
    assert count(Person) == 0


def test_couples_may_share_an_email_address_and_a_phone(client, app_ctx):
    client.post("/nl/register", data=form())
    client.post(
        "/nl/register", data=form(ssin=make_ssin("470101", 124), first_name="Jan")
    )

    assert count(Person) == 2 and count(Entry) == 2


def test_convenience_buttons_tick_boxes_without_submitting(client, app_ctx):
    response = client.post(
        "/nl/register", data=form(availability=[], calendar_action="part:evening")
    )

    assert response.status_code == 200
    ticked = soup(response).select("input[name=availability][checked]")
    assert {box["value"].split(":")[1] for box in ticked} == {"evening"}
    assert len(ticked) in (14, 15)
    assert count(Person) == 0


def test_the_calendar_fragment_answers_htmx(client):
    day = tomorrow().isoformat()

    response = client.post(
        "/nl/register/calendar",
        data={"calendar_action": f"day:{day}"},
        headers={"HX-Request": "true"},
    )

    body = soup(response)
    assert body.find("html") is None
    ticked = [box["value"] for box in body.select("input[name=availability][checked]")]
    assert ticked == [f"{day}:morning", f"{day}:afternoon", f"{day}:evening"]


def test_the_centres_fragment_follows_the_postcode(client):
    response = client.get(
        "/de/register/centres?postcode=4700", headers={"HX-Request": "true"}
    )

    near = [i["value"] for i in soup(response).select("#centres > fieldset > ul input")]
    assert near == ["dg-eupen"]


def test_ranking_copy_follows_the_entry(client, app_ctx, vcdb):
    client.post(
        "/nl/register",
        data=form(centres=["vl-gent-flanders-expo", "wal-bressoux"]),
    )
    eligibility_jobs.check_entry(db.session.scalar(select(Entry.id)))

    links = db.session.scalars(select(EntryCentre)).all()
    assert len(links) == 2
    assert all(link.rankable for link in links)
    assert {link.rank_birth_day for link in links} == {
        availability.day_number(date(1945, 3, 12))
    }


def test_the_refusal_mail_does_not_say_what_the_database_said(client, app_ctx, vcdb):
    bodies = []
    for ssin in (BOOKED, VACCINATED, UNKNOWN):
        client.post("/nl/register", data=form(ssin=ssin))
        entry_id = db.session.scalar(select(Entry.id).order_by(Entry.id.desc()))
        eligibility_jobs.check_entry(entry_id)
        message = db.session.scalar(
            select(OutboxMessage).order_by(OutboxMessage.id.desc())
        )
        bodies.append(message.body)

    # Anyone can type someone else's national number with their own address:
    # the answer must be the same whatever the database knows.
    assert bodies[0] == bodies[1] == bodies[2]
    # With the way to the contact centres' numbers.
    assert "http://127.0.0.1:5000/nl/info#help" in bodies[0]


def test_the_citizen_form_and_its_fragments_speak_to_the_person(client):
    page = soup(client.get("/nl/register"))
    calendar = client.post(
        "/nl/register/calendar",
        data={"calendar_action": "clear"},
        headers={"HX-Request": "true"},
    )
    # Only the value "other" switches the wording; anything else is ignored.
    centres = client.get(
        "/nl/register/centres?who=%3Cb%3E", headers={"HX-Request": "true"}
    )

    postcode = page.find("input", attrs={"name": "postcode"})
    assert postcode["hx-get"] == "/nl/register/centres"
    for hint in (page, soup(calendar)):
        assert (
            hint.find(id="availability-hint")
            .get_text(strip=True)
            .startswith(
                "Vink elke voormiddag, namiddag en avond aan waarop u op korte termijn"
            )
        )
    assert centres.status_code == 200
    assert "Vul uw postcode in, dan ziet u eerst de centra in uw buurt." in (
        soup(centres).get_text()
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "nl",
            ["Antwerpen", "Brussel", "Henegouwen", "Limburg", "Luik", "Luxemburg"],
        ),
        (
            "fr",
            [
                "Anvers",
                "Brabant flamand",
                "Brabant wallon",
                "Bruxelles",
                "Flandre occidentale",
                "Flandre orientale",
                "Hainaut",
                "Liège",
                "Limbourg",
                "Luxembourg",
                "Namur",
            ],
        ),
        ("de", ["Antwerpen", "Brüssel", "Flämisch-Brabant", "Hennegau"]),
    ],
)
def test_other_centres_are_grouped_under_province_names_in_the_page_language(
    client, lang, expected
):
    page = soup(client.get(f"/{lang}/register"))

    headings = [h.get_text(strip=True) for h in page.select("#centres h3.group-title")]
    assert headings[: len(expected)] == expected
    assert len(headings) == 11  # ten provinces and Brussels
