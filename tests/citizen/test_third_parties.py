"""Situation e: registering other people, each with their own contact."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models import Entry, EntryKind, OutboxMessage, Person, Submission
from app.services import availability
from jobs import eligibility as eligibility_jobs
from tests.factories import make_ssin

JOZEF = make_ssin("380808", 201)  # 8 August 1938, eligible
ALINE = make_ssin("410909", 202)  # 9 September 1941, eligible
PEOPLE = {
    JOZEF: ("Maes", "Jozef", "9000", "jozef.maes@example.be", "0471 00 00 01", "nl"),
    ALINE: (
        "Dubois",
        "Aline",
        "4000",
        "aline.dubois@example.be",
        "0471 00 00 02",
        "fr",
    ),
}
FIELDS = ("last_name", "first_name", "postcode", "email", "mobile", "language")
REGISTRANT = "helper@example.be"


def tomorrow():
    return availability.local_now().date() + timedelta(days=1)


def others_form(people=(JOZEF, ALINE), **overrides):
    data = {
        "registrant_email": REGISTRANT,
        "centres": ["vl-gent-flanders-expo", "wal-bressoux"],
        "availability": [f"{tomorrow().isoformat()}:afternoon"],
    }
    for index, ssin in enumerate(people):
        data[f"people-{index}-ssin"] = ssin
        for name, value in zip(FIELDS, PEOPLE.get(ssin, PEOPLE[JOZEF]), strict=True):
            data[f"people-{index}-{name}"] = value
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("nl", "Zet andere mensen op de reservelijst"),
        ("fr", "Inscrire d’autres personnes sur la liste de réserve"),
        ("de", "Andere Personen auf die Reserveliste setzen"),
    ],
)
def test_the_form_asks_the_registrant_once_and_one_person(client, lang, heading):
    page = soup(client.get(f"/{lang}/register/others"))

    assert page.find("h1").get_text(strip=True) == heading
    assert page.find("input", attrs={"name": "registrant_email"})
    assert len(page.select("#people fieldset.member")) == 1
    for name in ("ssin", "last_name", "first_name", "postcode", "email", "mobile"):
        assert page.find("label", attrs={"for": f"people-0-{name}"}), name
    language = page.find("select", attrs={"name": "people-0-language"})
    assert language.find("option", selected=True)["value"] == lang


def test_each_third_party_gets_an_entry_of_their_own(client, app_ctx):
    response = client.post("/nl/register/others", data=others_form())

    assert response.status_code == 303
    assert response.headers["Location"] == "/nl/register/others/done"
    entries = db.session.scalars(select(Entry).order_by(Entry.id)).all()
    assert [(e.kind, e.language, e.postcode) for e in entries] == [
        (EntryKind.THIRD_PARTY, "nl", "9000"),
        (EntryKind.THIRD_PARTY, "fr", "4000"),
    ]
    people = [(e.responsible.ssin, e.responsible.email) for e in entries]
    assert people == [
        (JOZEF, "jozef.maes@example.be"),
        (ALINE, "aline.dubois@example.be"),
    ]
    assert entries[1].responsible.mobile == "+32471000002"
    for entry in entries:
        assert {c.centre.code for c in entry.centres} == {
            "vl-gent-flanders-expo",
            "wal-bressoux",
        }
        assert availability.decode(entry.avail_from_day, entry.avail_bits) == [
            (tomorrow(), availability.AFTERNOON)
        ]
    # The registrant's address is nowhere but in the one confirmation.
    assert REGISTRANT not in {p.email for p in db.session.scalars(select(Person))}
    page = soup(client.get(response.headers["Location"]))
    assert "We bewaren uw e-mailadres niet" in page.get_text()


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("nl", "U hebt andere mensen op de reservelijst gezet"),
        ("fr", "Vous avez inscrit d’autres personnes sur la liste de réserve"),
        ("de", "Sie haben andere Personen auf die Reserveliste gesetzt"),
    ],
)
def test_the_registrant_gets_one_confirmation(client, app_ctx, lang, subject):
    client.post(f"/{lang}/register/others", data=others_form())

    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.purpose == "third_party_confirmation"
    assert (message.recipient, message.language) == (REGISTRANT, lang)
    assert message.subject == subject
    assert message.entry_id is None
    assert "- Jozef\n- Aline" in message.body
    assert "Maes" not in message.body and JOZEF not in message.body


def test_the_outcome_and_invitations_go_to_the_third_party(client, app_ctx, vcdb):
    client.post("/nl/register/others", data=others_form())
    entries = db.session.scalars(select(Entry).order_by(Entry.id)).all()

    for entry in entries:
        eligibility_jobs.check_entry(entry.id)

    outcomes = db.session.scalars(
        select(OutboxMessage)
        .filter_by(purpose="registration_accepted")
        .order_by(OutboxMessage.id)
    ).all()
    assert [(m.recipient, m.language) for m in outcomes] == [
        ("jozef.maes@example.be", "nl"),
        ("aline.dubois@example.be", "fr"),
    ]
    assert outcomes[1].subject == "Vous êtes sur la liste de réserve"
    db.session.expire_all()
    # Invitations are addressed to the entry's responsible: the third party.
    for entry, email in zip(
        db.session.scalars(select(Entry).order_by(Entry.id)),
        ("jozef.maes@example.be", "aline.dubois@example.be"),
        strict=True,
    ):
        assert entry.state == "active" and entry.responsible.email == email
        assert entry.centres[0].rankable


def test_add_and_remove_person_without_javascript(client, app_ctx):
    added = client.post(
        "/fr/register/others", data=others_form((JOZEF,), add_person="1")
    )
    removed = client.post(
        "/fr/register/others", data=others_form((JOZEF, ALINE), remove_person="0")
    )

    assert added.status_code == removed.status_code == 200
    rows = soup(added).select("#people fieldset.member")
    assert len(rows) == 2
    new_language = soup(added).find("select", attrs={"name": "people-1-language"})
    assert new_language.find("option", selected=True)["value"] == "fr"
    assert (
        soup(removed).find("input", attrs={"name": "people-0-ssin"})["value"] == ALINE
    )
    assert soup(removed).find("input", attrs={"name": "people-1-ssin"}) is None
    assert count(Entry) == 0 and count(OutboxMessage) == 0


def test_htmx_rows_fragment(client, app_ctx):
    response = client.post(
        "/de/register/others/people",
        data=others_form((JOZEF,), add_person="1"),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    fragment = soup(response)
    assert fragment.find("html") is None
    assert [i["name"] for i in fragment.select("input[name$=-ssin]")] == [
        "people-0-ssin",
        "people-1-ssin",
    ]


def test_the_centres_follow_the_first_persons_postcode(client):
    response = client.get(
        "/de/register/others/centres?people-0-postcode=4700",
        headers={"HX-Request": "true"},
    )

    near = [i["value"] for i in soup(response).select("#centres > fieldset > ul input")]
    assert near == ["dg-eupen"]


@pytest.mark.parametrize(
    ("lang", "field", "message"),
    [
        ("nl", "people-1-email", "Vul het e-mailadres van deze persoon in."),
        ("fr", "people-0-mobile", "Indiquez le numéro de GSM de cette personne."),
        ("de", "people-1-postcode", "Geben Sie die Postleitzahl dieser Person ein."),
    ],
)
def test_missing_contact_of_a_third_party_is_explained(
    client, app_ctx, lang, field, message
):
    response = client.post(f"/{lang}/register/others", data=others_form(**{field: ""}))

    assert response.status_code == 422
    page = soup(response)
    assert message in page.find(id="error-summary").get_text()
    assert message in page.find(id=f"{field}-error").get_text()
    assert count(Entry) == 0 and count(OutboxMessage) == 0


def test_the_registrants_address_is_required(client, app_ctx):
    response = client.post("/nl/register/others", data=others_form(registrant_email=""))

    assert response.status_code == 422
    assert (
        "Vul het e-mailadres in."
        in soup(response).find(id="registrant_email-error").get_text()
    )


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("nl", "Schrijf 1 tot 5 personen tegelijk in."),
        ("fr", "Inscrivez de 1 à 5 personnes à la fois."),
        ("de", "Melden Sie 1 bis 5 Personen auf einmal an."),
    ],
)
def test_a_sixth_person_is_refused(client, app_ctx, lang, message):
    five = [make_ssin("380808", serial) for serial in range(201, 206)]

    by_button = client.post(
        f"/{lang}/register/others", data=others_form(five, add_person="1")
    )
    posted = client.post(
        f"/{lang}/register/others",
        data=others_form(five + [make_ssin("380808", 206)]),
    )

    assert by_button.status_code == posted.status_code == 422
    assert message in soup(by_button).find(id="people-error").get_text()
    assert message in soup(posted).find(id="people-error").get_text()
    assert count(Entry) == 0


def test_a_third_party_already_on_the_list_is_not_revealed(client, app_ctx, vcdb):
    client.post("/nl/register/others", data=others_form((JOZEF,)))
    first = db.session.scalar(select(Entry))
    eligibility_jobs.check_entry(first.id)

    again = client.post("/nl/register/others", data=others_form((JOZEF, ALINE)))

    assert again.status_code == 303
    assert again.headers["Location"] == "/nl/register/others/done"
    assert count(Entry) == 2 and count(Person) == 2
    update = db.session.scalars(select(Submission).filter_by(is_update=True)).one()
    assert update.entry_id == first.id
    confirmations = db.session.scalars(
        select(OutboxMessage)
        .filter_by(purpose="third_party_confirmation")
        .order_by(OutboxMessage.id)
    ).all()
    assert len(confirmations) == 2
    assert "- Jozef\n- Aline" in confirmations[1].body


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"people-0-language": ["nl", "fr"], "people-0-ssin": "x" * 100_000},
        {"remove_person": "99", "add_person": "1"},
        {f"people-{n}-email": "a@b.c" for n in range(40)},
        {"registrant_email": ["a@b.c", "d@e.f"], "people-0-postcode": "\u202e9000"},
    ],
)
def test_hostile_posts_never_cause_a_server_error(client, app_ctx, data):
    plain = client.post("/nl/register/others", data=data)
    htmx = client.post(
        "/nl/register/others/people", data=data, headers={"HX-Request": "true"}
    )

    assert plain.status_code in (200, 400, 422)
    assert htmx.status_code in (200, 400, 422)
    assert count(Person) == 0 and count(OutboxMessage) == 0
