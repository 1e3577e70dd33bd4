"""Situation c: a responsible registers a group of at most 4 through the form."""

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import (
    Eligibility,
    Entry,
    EntryKind,
    EntryState,
    OutboxMessage,
    Person,
    Submission,
)
from app.services import availability
from jobs import eligibility as eligibility_jobs
from tests.factories import make_ssin

MARIA = make_ssin("450312", 123)  # 12 March 1945, eligible: the responsible
JAN = make_ssin("470101", 124)  # 1 January 1947, eligible
PIET = make_ssin("500101", 812)  # serial 812: not eligible
LIES = make_ssin("520202", 125)  # 2 February 1952, eligible
ANNA = make_ssin("550505", 126)  # 5 May 1955, eligible

MEMBERS = {JAN: ("Janssens", "Jan"), PIET: ("Pieters", "Piet"), LIES: ("Claes", "Lies")}


def tomorrow():
    return availability.local_now().date() + timedelta(days=1)


def group_form(members=(JAN, PIET), **overrides):
    day = tomorrow().isoformat()
    data = {
        "ssin": MARIA,
        "last_name": "Peeters",
        "first_name": "Maria",
        "postcode": "9000",
        "email": "maria.peeters@example.be",
        "mobile": "0470 12 34 56",
        "language": "nl",
        "centres": ["vl-gent-flanders-expo"],
        "availability": [f"{day}:morning", f"{day}:evening"],
    }
    for index, ssin in enumerate(members):
        last, first = MEMBERS.get(ssin, ("Maes", "Anna"))
        data[f"members-{index}-ssin"] = ssin
        data[f"members-{index}-last_name"] = last
        data[f"members-{index}-first_name"] = first
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def member_values(page, field):
    return [
        box["value"]
        for box in page.select(f"#members input[name$=-{field}]")
        if box.get("value") is not None
    ]


def registered_group(client, members=(JAN, PIET), lang="nl"):
    response = client.post(f"/{lang}/register/group", data=group_form(members))
    assert response.status_code == 303
    return db.session.scalar(select(Entry))


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("nl", "Zet een groep op de reservelijst"),
        ("fr", "Inscrire un groupe sur la liste de réserve"),
        ("de", "Eine Gruppe auf die Reserveliste setzen"),
    ],
)
def test_the_group_form_offers_the_responsible_and_one_member_row(
    client, lang, heading
):
    page = soup(client.get(f"/{lang}/register/group"))

    assert page.find("h1").get_text(strip=True) == heading
    for name in ("ssin", "last_name", "first_name", "email", "mobile", "postcode"):
        field = page.find("input", attrs={"name": name})
        assert page.find("label", attrs={"for": field["id"]}), name
    rows = page.select("#members fieldset.member")
    assert len(rows) == 1
    for name in ("members-0-ssin", "members-0-last_name", "members-0-first_name"):
        assert page.find("label", attrs={"for": name})
    assert page.find("button", attrs={"name": "add_member"})
    assert page.find("button", attrs={"name": "remove_member", "value": "0"})


def test_a_group_is_one_entry_with_the_responsible_first(client, app_ctx):
    response = client.post("/nl/register/group", data=group_form((JAN, LIES)))

    assert response.status_code == 303
    assert response.headers["Location"] == "/nl/register/group/done"
    entry = db.session.scalar(select(Entry))
    assert (entry.kind, entry.state, entry.postcode) == ("group", "pending", "9000")
    people = [(p.ssin, p.first_name, p.is_responsible) for p in entry.people]
    assert people == [
        (MARIA, "Maria", True),
        (JAN, "Jan", False),
        (LIES, "Lies", False),
    ]
    assert entry.responsible.first_name == "Maria"
    # The members carry the group's contact: the responsible's.
    assert {p.email for p in entry.people} == {"maria.peeters@example.be"}
    assert {p.mobile for p in entry.people} == {"+32470123456"}
    assert availability.decode(entry.avail_from_day, entry.avail_bits) == [
        (tomorrow(), availability.MORNING),
        (tomorrow(), availability.EVENING),
    ]
    assert [link.centre.code for link in entry.centres] == ["vl-gent-flanders-expo"]
    raw = db.session.execute(text("SELECT ssin, last_name FROM person")).all()
    for ssin, last_name in raw:
        assert ssin not in (MARIA, JAN, LIES) and "Claes" not in last_name
    page = soup(client.get(response.headers["Location"]))
    assert "We controleren uw groep" in page.get_text()


def test_add_member_without_javascript_rerenders_the_form(client, app_ctx):
    data = group_form((JAN,), add_member="1")

    response = client.post("/nl/register/group", data=data)

    assert response.status_code == 200
    page = soup(response)
    assert member_values(page, "ssin") == [JAN, ""]
    assert page.find("input", attrs={"name": "first_name"})["value"] == "Maria"
    assert page.find(id="error-summary") is None
    assert count(Entry) == 0


def test_remove_member_without_javascript_renumbers_the_rows(client, app_ctx):
    data = group_form((JAN, PIET, LIES), remove_member="1")

    response = client.post("/fr/register/group", data=data)

    assert response.status_code == 200
    page = soup(response)
    assert member_values(page, "ssin") == [JAN, LIES]
    assert member_values(page, "first_name") == ["Jan", "Lies"]
    assert page.find(attrs={"name": "members-1-ssin"})["value"] == LIES
    assert count(Entry) == 0


def test_htmx_add_and_remove_answer_only_the_member_rows(client, app_ctx):
    added = client.post(
        "/nl/register/group/members",
        data=group_form((JAN,), add_member="1"),
        headers={"HX-Request": "true"},
    )
    removed = client.post(
        "/nl/register/group/members",
        data=group_form((JAN, PIET), remove_member="0"),
        headers={"HX-Request": "true"},
    )

    for response in (added, removed):
        assert response.status_code == 200
        assert "HX-Request" in response.headers["Vary"]
        fragment = soup(response)
        assert fragment.find("html") is None
        assert fragment.find(id="members") is not None
    assert [i["value"] for i in soup(added).select("input[name$=-ssin]")] == [JAN, ""]
    assert [i["value"] for i in soup(removed).select("input[name$=-ssin]")] == [PIET]
    assert count(Entry) == 0


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("nl", "Een groep telt hoogstens 4 personen, de verantwoordelijke inbegrepen."),
        ("fr", "Un groupe compte au maximum 4 personnes, le responsable compris."),
        (
            "de",
            "Eine Gruppe hat höchstens 4 Personen, "
            "die verantwortliche Person eingeschlossen.",
        ),
    ],
)
def test_a_fifth_member_is_refused(client, app_ctx, lang, message):
    three = (JAN, PIET, LIES)

    by_button = client.post(
        f"/{lang}/register/group", data=group_form(three, add_member="1")
    )
    by_htmx = client.post(
        f"/{lang}/register/group/members",
        data=group_form(three, add_member="1"),
        headers={"HX-Request": "true"},
    )
    posted = client.post(
        f"/{lang}/register/group", data=group_form((JAN, PIET, LIES, ANNA))
    )

    assert by_button.status_code == by_htmx.status_code == posted.status_code == 422
    assert len(soup(by_button).select("#members fieldset.member")) == 3
    assert message in soup(by_button).find(id="error-summary").get_text()
    assert message in soup(by_htmx).find(id="members-error").get_text()
    assert message in soup(posted).find(id="members-error").get_text()
    assert message in soup(posted).find(id="error-summary").get_text()
    assert count(Entry) == 0 and count(Person) == 0


@pytest.mark.parametrize(
    ("lang", "overrides", "field_id", "message"),
    [
        (
            "nl",
            {"members-0-ssin": ""},
            "members-0-ssin",
            "Vul het rijksregisternummer van deze persoon in.",
        ),
        (
            "fr",
            {"members-1-first_name": ""},
            "members-1-first_name",
            "Indiquez le prénom de cette personne.",
        ),
        (
            "de",
            {"members-0-ssin": "12345678901"},
            "members-0-ssin",
            "Diese Nationalregisternummer ist nicht gültig.",
        ),
        (
            "nl",
            {"members-1-ssin": MARIA},
            "members",
            "Elke persoon kan maar één keer in de groep staan.",
        ),
    ],
)
def test_bad_member_data_is_explained_next_to_the_row(
    client, app_ctx, lang, overrides, field_id, message
):
    response = client.post(f"/{lang}/register/group", data=group_form(**overrides))

    assert response.status_code == 422
    page = soup(response)
    assert message in page.find(id="error-summary").get_text()
    assert message in page.find(id=f"{field_id}-error").get_text()
    assert count(Entry) == 0


def test_a_group_needs_someone_besides_the_responsible(client, app_ctx):
    response = client.post("/nl/register/group", data=group_form(()))

    assert response.status_code == 422
    assert (
        "Voeg minstens één andere persoon toe"
        in soup(response).find(id="members-error").get_text()
    )
    assert count(Entry) == 0


def test_an_ineligible_member_leaves_the_group_and_the_responsible_is_told(
    client, app_ctx, vcdb
):
    entry = registered_group(client, (JAN, PIET))

    assert eligibility_jobs.check_entry(entry.id) == "checked"

    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert [p.first_name for p in entry.people] == ["Maria", "Jan"]
    assert entry.responsible.first_name == "Maria"
    assert (entry.state, entry.size) == (EntryState.ACTIVE, 2)
    # Ranked by its oldest member: Maria, 12 March 1945.
    assert entry.rank_birth_day == availability.day_number(date(1945, 3, 12))
    assert entry.centres[0].size == 2 and entry.centres[0].rankable
    assert count(Person) == 2
    removed = db.session.scalars(
        select(OutboxMessage).filter_by(purpose="group_members_removed")
    ).one()
    assert removed.recipient == "maria.peeters@example.be"
    assert removed.language == "nl"
    assert removed.body.startswith("Beste Maria,")
    assert "- Piet" in removed.body
    assert "Pieters" not in removed.body and PIET not in removed.body
    assert "De andere personen van uw groep blijven op de lijst." in removed.body
    accepted = db.session.scalars(
        select(OutboxMessage).filter_by(purpose="registration_accepted")
    ).one()
    assert accepted.recipient == "maria.peeters@example.be"


def test_a_check_run_twice_tells_the_responsible_once(client, app_ctx, vcdb):
    entry = registered_group(client, (JAN, PIET))

    eligibility_jobs.check_entry(entry.id)
    eligibility_jobs.check_entry(entry.id)

    assert count(OutboxMessage) == 2  # removal notice and acceptance


def test_an_ineligible_responsible_hands_over_to_the_next_member(client, app_ctx, vcdb):
    response = client.post(
        "/de/register/group", data=group_form((JAN, LIES), ssin=PIET, language="de")
    )
    assert response.status_code == 303
    entry = db.session.scalar(select(Entry))

    eligibility_jobs.check_entry(entry.id)

    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert [(p.first_name, p.is_responsible) for p in entry.people] == [
        ("Jan", True),
        ("Lies", False),
    ]
    # Messages still reach the address the responsible gave.
    assert entry.responsible.email == "maria.peeters@example.be"
    assert entry.size == 2
    notice = db.session.scalars(
        select(OutboxMessage).filter_by(purpose="group_members_removed")
    ).one()
    assert notice.language == "de" and "- Maria" in notice.body


def test_when_nobody_may_be_invited_the_group_stays_whole_and_is_refused(
    client, app_ctx, vcdb
):
    not_eligible = make_ssin("500101", 813)
    MEMBERS[not_eligible] = ("Wouters", "Wim")
    try:
        response = client.post(
            "/nl/register/group", data=group_form((not_eligible,), ssin=PIET)
        )
        assert response.status_code == 303
        entry = db.session.scalar(select(Entry))

        eligibility_jobs.check_entry(entry.id)
    finally:
        del MEMBERS[not_eligible]

    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert len(entry.people) == 2
    assert (entry.state, entry.size) == (EntryState.INACTIVE, 0)
    purposes = db.session.scalars(select(OutboxMessage.purpose)).all()
    assert purposes == ["registration_refused"]


def test_a_member_already_on_the_list_is_left_out_without_a_word_on_the_page(
    client, app_ctx, vcdb
):
    earlier = registered_group(client, (JAN,))
    eligibility_jobs.check_entry(earlier.id)
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()

    again = client.post(
        "/nl/register/group",
        data=group_form((LIES, JAN), ssin=ANNA, first_name="Anna", email="a@x.be"),
    )

    # The same answer as for any group.
    assert again.status_code == 303
    assert again.headers["Location"] == "/nl/register/group/done"
    newest = db.session.scalar(select(Entry).order_by(Entry.id.desc()))
    assert [p.first_name for p in newest.people] == ["Anna", "Lies"]
    assert count(Person) == 4  # Maria and Jan in the first group; Anna, Lies
    eligibility_jobs.check_entry(newest.id)
    notice = db.session.scalars(
        select(OutboxMessage).filter_by(purpose="group_members_removed")
    ).one()
    assert notice.recipient == "a@x.be"
    assert "- Jan" in notice.body
    # Jan's own registration is untouched.
    jan = db.session.scalar(select(Person).filter_by(ssin_hash=_hash(JAN)))
    assert jan.entry_id == earlier.id


def test_when_everyone_is_already_on_the_list_no_entry_is_made(client, app_ctx, vcdb):
    registered_group(client, (JAN,))

    again = client.post("/fr/register/group", data=group_form((JAN,), language="fr"))

    assert again.status_code == 303
    assert again.headers["Location"] == "/fr/register/group/done"
    assert count(Entry) == 1
    submission = db.session.scalar(select(Submission).order_by(Submission.id.desc()))
    assert submission.entry_id is None
    notice = db.session.scalars(select(OutboxMessage)).one()
    assert notice.purpose == "group_members_removed" and notice.language == "fr"
    assert "- Maria" in notice.body and "- Jan" in notice.body


def test_the_invitation_goes_to_the_responsible_with_every_code(client, app_ctx, vcdb):
    entry = registered_group(client, (JAN, LIES))

    eligibility_jobs.check_entry(entry.id)

    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert entry.kind == EntryKind.GROUP
    assert entry.responsible.ssin == MARIA
    assert entry.responsible.email == "maria.peeters@example.be"
    assert all(p.eligibility == Eligibility.ELIGIBLE for p in entry.people)
    assert len({p.vaccination_code for p in entry.people}) == 3
    assert entry.size == 3


def test_the_landing_page_lists_every_way_to_register(client):
    page = soup(client.get("/de/"))

    hrefs = {a["href"] for a in page.find_all("a")}
    assert {
        "/de/register",
        "/de/register/group",
        "/de/register/companion",
        "/de/register/others",
    } <= hrefs


def _hash(ssin):
    from app.crypto import lookup_hash

    return lookup_hash(ssin)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"members-999-ssin": "x" * 100_000, "add_member": "1"},
        {"remove_member": "-1"},
        {"remove_member": "１"},
        {"remove_member": "x" * 1000},
        {"members-0-ssin": ["a", "b"], "members-0-first_name": "\u0000"},
        {f"members-{n}-ssin": JAN for n in range(50)},
        {"availability": ["'; DROP TABLE person; --"] * 500, "members": "x"},
    ],
)
def test_hostile_posts_never_cause_a_server_error(client, app_ctx, data):
    plain = client.post("/nl/register/group", data=data)
    htmx = client.post(
        "/nl/register/group/members", data=data, headers={"HX-Request": "true"}
    )

    assert plain.status_code in (200, 400, 422)
    assert htmx.status_code in (200, 400, 422)
    assert count(Person) == 0
