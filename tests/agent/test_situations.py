"""Agents registering callers in situations c, d and e, through the forms."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Entry, EntryKind
from tests.agent.test_agent import AGENT, in_context
from tests.citizen.test_companions import COMPANION, companion_form
from tests.citizen.test_groups import JAN, MARIA, PIET, group_form
from tests.citizen.test_third_parties import ALINE, JOZEF, others_form
from tests.doctor.conftest import logged_in, soup

TEXTS = {
    "nl": {
        "group": "Een groep inschrijven",
        "besides the caller": "Tot 3 personen naast de beller.",
        "others done": "De personen zijn ingeschreven.",
        "found": "We hebben de afspraak gevonden",
    },
    "fr": {
        "group": "Inscrire un groupe",
        "besides the caller": "Jusqu’à 3 personnes en plus de l’appelant.",
        "others done": "Les personnes ont été inscrites.",
        "found": "Nous avons trouvé le rendez-vous",
    },
    "de": {
        "group": "Eine Gruppe anmelden",
        "besides the caller": "Bis zu 3 Personen außer dem Anrufer.",
        "others done": "Die Personen sind angemeldet.",
        "found": "Wir haben den Termin gefunden",
    },
}


@pytest.fixture
def agent(make_user):
    return make_user(AGENT, "agent")


def stored(app):
    def read():
        found = db.session.scalars(select(Entry).order_by(Entry.id)).all()
        return [(e.kind, e.registered_by_id, [p.ssin for p in e.people]) for e in found]

    return in_context(app, read)


def registrations_audited(app):
    def read():
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "entry_registered")
            .order_by(AuditEvent.id)
        ).all()
        return [(e.actor_id, e.detail) for e in rows]

    return in_context(app, read)


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_an_agent_registers_a_group(app, client, agent, lang):
    logged_in(client, AGENT, lang)

    page = soup(client.get("/agent/register/group"))
    assert page.h1.get_text(strip=True) == TEXTS[lang]["group"]
    form = page.find("form", action="/agent/register/group")
    add = form.find("button", attrs={"name": "add_member"})
    # The rows fragment keeps speaking of the caller once swapped in.
    assert add["hx-post"] == f"/{lang}/register/group/members?who=other"
    rows = client.post(
        add["hx-post"],
        data={"add_member": "1", "members-0-ssin": ""},
        headers={"HX-Request": "true"},
    )
    assert TEXTS[lang]["besides the caller"] in soup(rows).get_text()
    response = client.post(
        "/agent/register/group", data=group_form(members=(JAN, PIET))
    )

    assert response.status_code == 303
    (entry,) = stored(app)
    assert entry == (EntryKind.GROUP, agent, [MARIA, JAN, PIET])
    entry_id = in_context(app, lambda: db.session.scalar(select(Entry.id)))
    assert response.headers["Location"] == f"/agent/entries/{entry_id}?done=registered"
    assert client.get(response.headers["Location"]).status_code == 200
    assert registrations_audited(app) == [(agent, "situation c")]


def test_the_member_rows_work_without_javascript(app, client, agent):
    logged_in(client, AGENT, "nl")

    response = client.post(
        "/agent/register/group", data=group_form(members=(JAN,), add_member="1")
    )

    assert response.status_code == 200
    page = soup(response)
    assert page.find("input", attrs={"name": "members-0-ssin"})["value"] == JAN
    assert page.find("input", attrs={"name": "members-1-ssin"})["value"] == ""
    assert stored(app) == []


def test_an_invalid_group_is_shown_again(app, client, agent):
    logged_in(client, AGENT, "nl")

    response = client.post("/agent/register/group", data=group_form(members=(JAN, JAN)))

    assert response.status_code == 422
    assert soup(response).find(class_="error-summary")
    assert stored(app) == []


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_an_agent_registers_a_companion(app, client, agent, vcdb, lang):
    logged_in(client, AGENT, lang)

    checked = client.post(
        "/agent/register/companion",
        data={"companion_code": "v3xf fetl em8e fkcz", "check_code": "1"},
    )
    assert checked.status_code == 200
    assert TEXTS[lang]["found"] in soup(checked).find(id="booking").get_text()
    response = client.post("/agent/register/companion", data=companion_form())

    assert response.status_code == 303, response.get_data(as_text=True)
    assert stored(app) == [(EntryKind.COMPANION, agent, [COMPANION])]
    assert in_context(app, lambda: db.session.scalar(select(Entry.is_companion)))
    assert registrations_audited(app) == [(agent, "situation d")]


def test_an_unknown_companion_code_is_refused(app, client, agent, vcdb):
    logged_in(client, AGENT, "nl")

    response = client.post(
        "/agent/register/companion",
        data=companion_form(companion_code="AAAA-BBBB-CCCC-DDDD"),
    )

    assert response.status_code == 422
    assert soup(response).find(class_="error-summary").find("a")["href"] == (
        "#companion_code"
    )
    assert stored(app) == []


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_an_agent_registers_other_people_for_the_caller(app, client, agent, lang):
    logged_in(client, AGENT, lang)

    page = soup(client.get("/agent/register/others"))
    form = page.find("form", action="/agent/register/others")
    assert form.find("select", attrs={"name": "people-0-language"})
    response = client.post("/agent/register/others", data=others_form((JOZEF, ALINE)))

    assert response.status_code == 303
    assert response.headers["Location"] == "/agent/?done=others"
    assert stored(app) == [
        (EntryKind.THIRD_PARTY, agent, [JOZEF]),
        (EntryKind.THIRD_PARTY, agent, [ALINE]),
    ]
    notice = soup(client.get(response.headers["Location"])).find(class_="success")
    assert TEXTS[lang]["others done"] in notice.get_text()
    assert registrations_audited(app) == [
        (agent, "situation e"),
        (agent, "situation e"),
    ]


@pytest.mark.parametrize(
    "path",
    ["/agent/register/group", "/agent/register/companion", "/agent/register/others"],
)
def test_situation_pages_are_for_agents_only(app, client, make_user, path):
    assert client.get(path).status_code == 302
    make_user("dr@lmb.test", "doctor")
    logged_in(client, "dr@lmb.test")
    assert client.get(path).status_code == 403
    assert client.post(path, data={}).status_code == 403


@pytest.mark.parametrize(
    ("path", "citizen_path", "heading", "action"),
    [
        (
            "/agent/register/group",
            "/nl/register/group",
            "Een groep inschrijven",
            "/agent/register/group",
        ),
        (
            "/agent/register/companion",
            "/nl/register/companion",
            "Een begeleider inschrijven",
            "/agent/register/companion",
        ),
        (
            "/agent/register/others",
            "/nl/register/others",
            "Andere personen inschrijven voor de beller",
            "/agent/register/others",
        ),
    ],
)
def test_the_agent_pages_are_the_citizen_forms_worded_for_a_caller(
    client, agent, path, citizen_path, heading, action
):
    citizen = soup(client.get(citizen_path))
    logged_in(client, AGENT, "nl")

    page = soup(client.get(path))

    assert page.h1.get_text(strip=True) == heading
    assert page.title.get_text().startswith(heading)
    assert page.find("nav", class_="agent-nav")
    form = page.find("form", class_="registration")
    assert form["action"] == action
    # The same fields as the citizen's form, minus the honeypot...
    names = {i["name"] for i in citizen.select("form.registration [name]")}
    assert {i["name"] for i in form.select("[name]")} == names - {"website"}
    # ...and the browser offers the agent's own data nowhere.
    tokens = {
        i.get("autocomplete")
        for i in form.select("input[type=text], input[type=email], input[type=tel]")
    }
    assert tokens == {"off"}
    # Labels and hints speak of the caller and the people registered, never
    # to "you" (u, uw, uzelf in Dutch) as the citizen's page does.
    words = " ".join(e.get_text(" ") for e in form.select("label, .hint")).split()
    found = [w for w in words if w in {"u", "uw", "uzelf", "U", "Uw"}]
    assert not found, " ".join(words)
    citizen_tokens = {
        i.get("autocomplete") for i in citizen.select("form.registration input")
    }
    assert "family-name" in citizen_tokens or "email" in citizen_tokens


def test_a_group_of_people_all_on_the_list_already_adds_nobody(app, client, agent):
    logged_in(client, AGENT, "nl")
    client.post("/agent/register/group", data=group_form(members=(JAN,)))

    again = client.post("/agent/register/group", data=group_form(members=(JAN,)))

    assert again.headers["Location"] == "/agent/?done=nobody"
    assert (
        "Niemand van deze groep"
        in soup(client.get("/agent/?done=nobody")).find(class_="notice").get_text()
    )
    assert len(stored(app)) == 1
    assert registrations_audited(app) == [(agent, "situation c")]
