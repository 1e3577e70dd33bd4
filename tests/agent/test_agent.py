"""Contact-centre agents: registering callers, finding and helping them."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Entry, EntryKind, OutboxMessage, StaffUser
from jobs import eligibility as eligibility_jobs
from jobs.outbox import deliver
from tests.doctor.conftest import ELIGIBLE, NOT_ELIGIBLE, logged_in, patient, soup
from tests.factories import make_ssin
from tests.outbox.conftest import SmtpServer

AGENT = "agent.janssens@lmb.test"
UNKNOWN = make_ssin("640229", 314)  # valid, never registered

TEXTS = {
    "nl": {
        "registered": "De beller is ingeschreven.",
        "not found": "Er werd geen inschrijving gevonden voor dit rijksregisternummer.",
        "pending": "Wordt gecontroleerd",
        "active": "Op de reservelijst",
        "resent": "De bevestiging wordt opnieuw verstuurd",
        "still checking": "De inschrijving wordt nog gecontroleerd.",
        "not on list": "Deze persoon staat momenteel niet op de reservelijst",
        "update": "Dit rijksregisternummer stond al op de reservelijst.",
    },
    "fr": {
        "registered": "L’appelant est inscrit.",
        "not found": (
            "Aucune inscription n’a été trouvée pour ce numéro de registre national."
        ),
        "pending": "En vérification",
        "active": "Sur la liste de réserve",
        "resent": "La confirmation est renvoyée",
        "still checking": "L’inscription est encore en cours de vérification.",
        "not on list": "Cette personne n’est pas sur la liste de réserve",
        "update": "Ce numéro de registre national figurait déjà sur la liste",
    },
    "de": {
        "registered": "Der Anrufer ist angemeldet.",
        "not found": "Für diese Nationalregisternummer wurde keine Anmeldung gefunden.",
        "pending": "Wird geprüft",
        "active": "Auf der Reserveliste",
        "resent": "Die Bestätigung wird erneut",
        "still checking": "Die Anmeldung wird noch geprüft.",
        "not on list": "Diese Person steht derzeit nicht auf der Reserveliste",
        "update": "Diese Nationalregisternummer stand bereits auf der Reserveliste.",
    },
}


@pytest.fixture
def agent(make_user):
    return make_user(AGENT, "agent")


def caller(**overrides):
    data = patient(**overrides)
    data.pop("recipient", None)
    return data


def in_context(app, function, *args):
    with app.app_context():
        try:
            return function(*args)
        finally:
            db.session.remove()


def count(app, model):
    return in_context(
        app, lambda: db.session.scalar(select(func.count()).select_from(model))
    )


def audit_rows(app):
    def read():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [
            (e.action, e.actor_id, e.entry_id, e.detail)
            for e in rows
            if not e.action.startswith("staff_")
        ]

    return in_context(app, read)


def check(app, entry_id):
    in_context(app, eligibility_jobs.check_entry, entry_id)


def register_caller(app, client, **overrides):
    response = client.post("/agent/register", data=caller(**overrides))
    assert response.status_code == 303, response.get_data(as_text=True)
    return in_context(
        app, lambda: db.session.scalar(select(Entry.id).order_by(Entry.id.desc()))
    )


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_an_agent_registers_a_caller(app, client, agent, lang):
    logged_in(client, AGENT, lang)

    form = soup(client.get("/agent/register")).find("form", action="/agent/register")
    assert form.find(
        "input", attrs={"name": "language", "value": lang, "checked": True}
    )
    assert form.find("input", attrs={"name": "postcode"})["hx-get"] == (
        f"/{lang}/register/centres?who=other"
    )
    response = client.post("/agent/register", data=caller(language=lang))

    entry_id = in_context(app, lambda: db.session.scalar(select(Entry.id)))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/agent/entries/{entry_id}?done=registered"

    def stored():
        entry = db.session.get(Entry, entry_id)
        return entry.kind, entry.registered_by_id, entry.doctor_id, entry.language

    assert in_context(app, stored) == (EntryKind.SELF, agent, None, lang)
    page = soup(client.get(response.headers["Location"]))
    assert TEXTS[lang]["registered"] in page.find(class_="success").get_text()
    assert TEXTS[lang]["pending"] in page.find("dl").get_text()
    assert audit_rows(app) == [
        ("entry_registered", agent, entry_id, "situation b"),
        ("entry_read", agent, entry_id, None),
    ]


def test_invalid_caller_data_is_shown_again(app, client, agent):
    logged_in(client, AGENT, "nl")

    response = client.post(
        "/agent/register", data=caller(mobile="12", centres=[], availability=[])
    )

    assert response.status_code == 422
    targets = [a["href"] for a in soup(response).find(class_="error-summary")("a")]
    assert targets == ["#mobile", "#centres", "#availability"]
    assert count(app, Entry) == 0


def test_registering_a_number_already_on_the_list_says_so_to_the_agent(
    app, client, agent
):
    logged_in(client, AGENT, "fr")
    first = register_caller(app, client)

    response = client.post("/agent/register", data=caller(first_name="Jos"))

    assert response.headers["Location"] == f"/agent/entries/{first}?done=update"
    page = soup(client.get(response.headers["Location"]))
    assert TEXTS["fr"]["update"] in page.find(class_="notice").get_text()
    assert count(app, Entry) == 1
    assert ("entry_registered", agent, first, "update proposed") in audit_rows(app)


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_a_look_up_finds_the_entry_and_is_audited(app, client, agent, vcdb, lang):
    logged_in(client, AGENT, lang)
    entry_id = register_caller(app, client)
    check(app, entry_id)
    helper = app.test_client()
    logged_in(helper, AGENT, lang)  # another session: nothing remembered yet

    response = helper.post(
        "/agent/lookup", data={"ssin": "45.03.12-123." + ELIGIBLE[-2:]}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/agent/entries/{entry_id}"
    assert ELIGIBLE not in response.headers["Location"]
    page = soup(helper.get(response.headers["Location"]))
    assert TEXTS[lang]["active"] in page.find("dl").get_text()
    people = page.find("table").tbody.find("tr")
    cells = [c.get_text(strip=True) for c in people.find_all(["th", "td"])]
    assert cells[:3] == ["Jozef Janssens", "j•••@example.be", "+32 ••• •• •• 54"]
    assert "Vaccinatiecentrum Gent (Flanders Expo, hal 2)" in page.get_text()
    # The caller's two day parts of one day, on one line.
    (line,) = [
        li.get_text() for li in page.find_all("li", string=lambda s: s and ":" in s)
    ]
    assert line.endswith(
        {
            "nl": ": voormiddag, namiddag",
            "fr": "\u00a0: matin, après-midi",
            "de": ": Vormittag, Nachmittag",
        }[lang]
    )
    assert page.find("form", action=f"/agent/entries/{entry_id}/resend")
    assert audit_rows(app)[-2:] == [
        ("lookup", agent, entry_id, "found"),
        ("entry_read", agent, entry_id, None),
    ]


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_an_unknown_number_is_a_neutral_not_found_and_still_audited(
    app, client, agent, lang
):
    logged_in(client, AGENT, lang)

    response = client.post("/agent/lookup", data={"ssin": UNKNOWN})

    assert response.status_code == 200
    page = soup(response)
    assert page.find(class_="notice").get_text(strip=True) == TEXTS[lang]["not found"]
    assert page.find("input", attrs={"name": "ssin"})["value"] == ""
    assert audit_rows(app) == [("lookup", agent, None, "not found")]


def test_a_malformed_number_is_a_form_error_and_audited(app, client, agent):
    logged_in(client, AGENT, "nl")

    response = client.post("/agent/lookup", data={"ssin": "12345678901"})

    assert response.status_code == 422
    assert soup(response).find(class_="error-summary").find("a")["href"] == "#ssin"
    assert audit_rows(app) == [("lookup", agent, None, "malformed")]


def test_entries_cannot_be_opened_by_id_without_a_look_up(app, client, agent):
    logged_in(client, AGENT, "nl")
    entry_id = register_caller(app, client)
    other = app.test_client()
    logged_in(other, AGENT, "nl")

    assert other.get(f"/agent/entries/{entry_id}").status_code == 404
    assert other.post(f"/agent/entries/{entry_id}/resend").status_code == 404
    assert not [row for row in audit_rows(app) if row[0] == "entry_read"][1:]


def test_resending_the_confirmation_delivers_it_again(app, make_app, make_user, vcdb):
    smtp = SmtpServer().start()
    try:
        mail_app = make_app(
            WTF_CSRF_ENABLED=False,
            RATELIMIT_ENABLED=False,
            MAIL_HOST="127.0.0.1",
            MAIL_PORT=smtp.port,
        )
        agent_id = make_user(AGENT, "agent")
        client = mail_app.test_client()
        logged_in(client, AGENT, "de")
        entry_id = register_caller(mail_app, client, language="fr")
        check(mail_app, entry_id)

        response = client.post(f"/agent/entries/{entry_id}/resend")

        assert response.status_code == 303
        assert response.headers["Location"] == f"/agent/entries/{entry_id}?done=resent"
        page = soup(client.get(response.headers["Location"]))
        assert TEXTS["de"]["resent"] in page.find(class_="success").get_text()

        def messages():
            return [
                (m.id, m.purpose, m.language)
                for m in db.session.scalars(
                    select(OutboxMessage).order_by(OutboxMessage.id)
                )
            ]

        sent = in_context(mail_app, messages)
        assert [m[1:] for m in sent] == [
            ("registration_accepted", "fr"),
            ("registration_accepted", "fr"),
        ]
        assert in_context(mail_app, deliver, sent[1][0]) is True
        assert len(smtp.received) == 1
        mail = smtp.received[0]["message"]
        assert smtp.received[0]["rcpt_tos"] == ["jozef.janssens@example.be"]
        assert mail["Subject"] == "Vous êtes sur la liste de réserve"
        assert "/fr/me/" in mail.get_content()
        assert ("confirmation_resent", agent_id, entry_id, None) in audit_rows(mail_app)
        with mail_app.app_context():
            db.engine.dispose()
    finally:
        smtp.stop()


@pytest.mark.parametrize(
    ("ssin", "checked", "text"),
    [(ELIGIBLE, False, "still checking"), (NOT_ELIGIBLE, True, "not on list")],
)
def test_no_confirmation_for_a_pending_or_refused_entry(
    app, client, agent, vcdb, ssin, checked, text
):
    logged_in(client, AGENT, "nl")
    entry_id = register_caller(app, client, ssin=ssin)
    if checked:
        check(app, entry_id)
    before = count(app, OutboxMessage)

    response = client.post(f"/agent/entries/{entry_id}/resend")

    assert response.status_code == 409
    assert TEXTS["nl"][text] in soup(response).find(class_="error-summary").get_text()
    assert count(app, OutboxMessage) == before
    assert not [row for row in audit_rows(app) if row[0] == "confirmation_resent"]


def test_an_erased_entry_is_gone(app, client, agent):
    logged_in(client, AGENT, "nl")
    entry_id = register_caller(app, client)

    def erase():
        from app.services import entries

        entries.withdraw(db.session.get(Entry, entry_id))
        db.session.commit()

    in_context(app, erase)

    assert client.get(f"/agent/entries/{entry_id}").status_code == 404
    assert client.post(f"/agent/entries/{entry_id}/resend").status_code == 404


AGENT_PAGES = [
    ("get", "/agent/"),
    ("get", "/agent/register"),
    ("post", "/agent/register"),
    ("get", "/agent/lookup"),
    ("post", "/agent/lookup"),
    ("get", "/agent/entries/1"),
    ("post", "/agent/entries/1/resend"),
]


def test_agent_pages_are_for_agents_only(app, client, make_user):
    for method, path in AGENT_PAGES:
        assert getattr(client, method)(path).status_code == 302, path  # log in
    for role in ("doctor", "centre_staff", "operator", "monitor"):
        make_user(f"{role}@lmb.test", role)
        other = app.test_client()
        logged_in(other, f"{role}@lmb.test")
        for method, path in AGENT_PAGES:
            assert getattr(other, method)(path).status_code == 403, (role, path)


def test_a_deactivated_agent_account_cannot_register(app_ctx, make_user):
    from app.services import agents
    from app.services.agents import NotAnAgent

    agent_id = make_user("gone@lmb.test", "agent")
    db.session.get(StaffUser, agent_id).active = False
    db.session.commit()

    with pytest.raises(NotAnAgent):
        agents.register_caller(agent_id, None)


def test_the_start_page_leads_to_every_situation(client, agent):
    logged_in(client, AGENT, "fr")

    page = soup(client.get("/agent/"))

    links = [a["href"] for a in page.find("main").find_all("a")]
    assert links == [
        "/agent/register",
        "/agent/register/group",
        "/agent/register/companion",
        "/agent/register/others",
    ]
    assert page.find("form", action="/agent/lookup").find(
        "input", attrs={"name": "ssin"}
    )


def test_look_ups_are_limited_per_agent(make_app, make_user):
    limited = make_app(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=True)
    make_user(AGENT, "agent")
    client = limited.test_client()
    logged_in(client, AGENT, "nl")

    answers = [
        client.post("/agent/lookup", data={"ssin": UNKNOWN}).status_code
        for _ in range(61)
    ]

    assert answers == [200] * 60 + [429]
    with limited.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "data",
    [
        {"ssin": [UNKNOWN, ELIGIBLE]},
        {"ssin": "9" * 10_000},
        {"ssin": "\u0000" + UNKNOWN},
        {},
    ],
)
def test_hostile_look_ups_never_cause_a_server_error(app, client, agent, data):
    logged_in(client, AGENT, "nl")

    response = client.post("/agent/lookup", data=data)

    # 400: refused before the page (app.security: NUL characters, sizes).
    assert response.status_code in (200, 400, 422)
    expected = [] if response.status_code == 400 else ["lookup"]
    assert [row[0] for row in audit_rows(app)] == expected
