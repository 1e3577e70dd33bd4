"""Citizens find open moments and claim a slot through the HTTP forms."""

from datetime import UTC, datetime, time, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    BookingNotification,
    ClaimReason,
    ClaimState,
    DirectClaim,
    Eligibility,
    Entry,
    EntryKind,
    EntryState,
    MomentState,
    NotificationState,
    OpenMoment,
    OutboxMessage,
    Person,
)
from app.services import direct
from app.services.entries import PersonData
from jobs import direct as direct_jobs
from jobs.outbox import deliver
from simulators.vcdb import vaccination_code
from tests.direct.conftest import local_today
from tests.factories import make_ssin
from tests.outbox.conftest import SmtpServer

ELIGIBLE = make_ssin("450312", 123)  # born 12 March 1945, serial 123: eligible
ELIGIBLE_TOO = make_ssin("520101", 222)
NOT_ELIGIBLE = make_ssin("500101", 812)
VACCINATED = make_ssin("500101", 910)


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def form(**overrides):
    data = {
        "ssin": ELIGIBLE,
        "last_name": "Peeters",
        "first_name": "Maria",
        "postcode": "9000",
        "email": "maria.peeters@example.be",
        "mobile": "0470 12 34 56",
        "language": "nl",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def claimed(moment_id):
    db.session.expire_all()
    return db.session.get(OpenMoment, moment_id).claimed


def claim_and_check(client, moment_id, lang="nl", **overrides):
    """Post the form, run the eligibility job; return the status page URL."""
    response = client.post(f"/{lang}/moments/{moment_id}", data=form(**overrides))
    assert response.status_code == 303, response.status_code
    claim_id = db.session.scalar(select(func.max(DirectClaim.id)))
    direct_jobs.check_claim(claim_id)
    return response.headers["Location"]


def test_the_list_puts_the_centres_of_the_postcode_first(client, make_moment, app_ctx):
    eupen = make_moment(code="dg-eupen", days=1, start=time(9), end=time(12))
    gent = make_moment(days=2)
    full = make_moment(days=1, start=time(13), end=time(14), slots=1)
    db.session.execute(
        OpenMoment.__table__.update().where(OpenMoment.id == full).values(claimed=1)
    )
    db.session.commit()

    page = soup(client.get("/nl/moments?postcode=9000"))

    near, others = page.select("#moments ul.moment-list")
    assert [li.h3.get_text() for li in near.find_all("li")] == [
        "Vaccinatiecentrum Gent (Flanders Expo, hal 2)",
        "Vaccinatiecentrum Gent (Flanders Expo, hal 2)",
    ]
    links = [a["href"] for a in near.find_all("a")]
    assert links == [f"/nl/moments/{gent}?postcode=9000"]  # the full one: no link
    assert "Volzet" in near.find_all("li")[0].get_text()
    assert [a["href"] for a in others.find_all("a")] == [
        f"/nl/moments/{eupen}?postcode=9000"
    ]


def test_the_list_without_postcode_shows_every_moment(client, make_moment, app_ctx):
    make_moment()

    plain = soup(client.get("/fr/moments"))

    assert plain.find("h2").get_text() == "Tous les moments ouverts"
    assert len(plain.select("ul.moment-list li")) == 1


def test_a_bad_postcode_is_an_error_in_the_fragment(client, make_moment, app_ctx):
    make_moment()

    bad = client.get("/de/moments?postcode=12", headers={"HX-Request": "true"})

    assert bad.status_code == 422
    fragment = soup(bad)
    assert fragment.find(id="postcode-error").get_text(" ", strip=True) == (
        "Fehler: Geben Sie eine belgische Postleitzahl mit 4 Ziffern ein, "
        "zum Beispiel 4700."
    )
    assert fragment.find("h1") is None
    assert len(fragment.select("ul.moment-list li")) == 1


def test_an_unknown_postcode_is_named_as_unknown(client, make_moment, app_ctx):
    make_moment()

    bad = soup(client.get("/de/moments?postcode=9999"))

    assert bad.find(id="postcode-error").get_text(" ", strip=True) == (
        "Fehler: Diese Postleitzahl ist uns in Belgien nicht bekannt."
    )


def test_without_any_moment_the_list_says_there_is_none(client, app_ctx):
    page = soup(client.get("/nl/moments"))

    text = page.find(id="moments").get_text(" ", strip=True)
    assert "Er zijn op dit ogenblik geen open momenten." in text
    assert "andere" not in text


def test_ended_and_closed_moments_are_not_offered(client, make_moment, app_ctx):
    closed = make_moment()
    db.session.get(OpenMoment, closed).state = MomentState.CLOSED
    db.session.commit()

    assert soup(client.get("/nl/moments")).select("ul.moment-list li") == []
    response = client.get(f"/nl/moments/{closed}")
    assert response.status_code == 410
    posted = client.post(f"/nl/moments/{closed}", data=form())
    assert posted.status_code == 410
    assert count(DirectClaim) == 0


@pytest.mark.parametrize(
    ("lang", "confirmed", "subject", "eid"),
    [
        (
            "nl",
            "Uw vaccinatiemoment is bevestigd",
            "Uw vaccinatiemoment is bevestigd",
            "Breng uw elektronische identiteitskaart (eID) mee.",
        ),
        (
            "fr",
            "Votre moment de vaccination est confirmé",
            "Votre moment de vaccination est confirmé",
            "Apportez votre carte d’identité électronique (eID).",
        ),
        (
            "de",
            "Ihr Impftermin ist bestätigt",
            "Ihr Impftermin ist bestätigt",
            "Bringen Sie Ihren elektronischen Personalausweis (eID) mit.",
        ),
    ],
)
def test_an_eligible_person_is_invited_at_once(
    client, make_moment, app_ctx, vcdb, lang, confirmed, subject, eid
):
    moment_id = make_moment(days=2, slots=3)
    page = soup(client.get(f"/{lang}/moments/{moment_id}?postcode=9000"))
    assert page.find("input", attrs={"name": "postcode"})["value"] == "9000"
    assert page.find(
        "input", attrs={"name": "language", "value": lang, "checked": True}
    )

    response = client.post(f"/{lang}/moments/{moment_id}", data=form(language=lang))

    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(f"/{lang}/moments/claim/")
    assert claimed(moment_id) == 1
    waiting = soup(client.get(location))
    assert waiting.find(id="status")["hx-trigger"] == "load delay:2s"
    claim = db.session.scalar(select(DirectClaim))
    assert claim.state == ClaimState.CHECKING
    assert (claim.entry.kind, claim.entry.state) == (EntryKind.DIRECT, "pending")
    assert claim.person.ssin == ELIGIBLE
    assert claim.person.next_check_at is None  # not the registration sweep's

    assert direct_jobs.check_claim(claim.id) == "confirmed"

    db.session.expire_all()
    claim = db.session.get(DirectClaim, claim.id)
    assert claim.state == ClaimState.CONFIRMED
    assert claim.entry.state == EntryState.BOOKED
    assert claim.person.eligibility == Eligibility.ELIGIBLE
    assert claimed(moment_id) == 1
    done = soup(client.get(location, headers={"HX-Request": "true"}))
    status = done.find(id="status")
    assert "hx-trigger" not in status.attrs
    assert confirmed in status.get_text()
    assert eid in status.get_text()
    assert "Vaccinatiecentrum Gent" in status.get_text()
    assert "15:00" in status.get_text() and "19:00" in status.get_text()
    assert vaccination_code(ELIGIBLE) not in status.get_text()

    message = db.session.scalar(select(OutboxMessage))
    assert message.purpose == "direct_confirmation"
    assert message.subject == subject
    assert message.recipient == "maria.peeters@example.be"
    assert vaccination_code(ELIGIBLE) in message.body
    assert "eID" in message.body
    assert "Flanders Expo, 9051 Gent" in message.body
    notification = db.session.scalar(select(BookingNotification))
    assert notification.state == NotificationState.PENDING
    assert notification.claim_id == claim.id


def test_the_confirmation_mail_names_the_day_time_centre_and_code(
    client, make_moment, app_ctx, vcdb
):
    moment_id = make_moment(days=3, start=time(9, 30), end=time(12), slots=2)
    claim_and_check(client, moment_id)

    body = db.session.scalar(select(OutboxMessage.body))
    moment = db.session.get(OpenMoment, moment_id)
    lines = body.splitlines()
    assert lines[0] == "Beste Maria,"
    when = next(line for line in lines if line.startswith("Wanneer:"))
    assert when.endswith(", van 09:30 tot 12:00")
    where = next(line for line in lines if line.startswith("Waar:"))
    assert where == f"Waar: {moment.centre.name}, {moment.centre.full_address}"
    assert f"Uw vaccinatiecode: {vaccination_code(ELIGIBLE)}" in lines


@pytest.mark.parametrize(
    ("ssin", "eligibility"),
    [(NOT_ELIGIBLE, Eligibility.NOT_ELIGIBLE), (VACCINATED, Eligibility.VACCINATED)],
)
def test_the_slot_is_released_when_the_person_is_not_eligible(
    client, make_moment, app_ctx, vcdb, ssin, eligibility
):
    moment_id = make_moment(slots=1)

    location = claim_and_check(client, moment_id, ssin=ssin)

    claim = db.session.scalar(select(DirectClaim))
    assert (claim.state, claim.reason) == (ClaimState.REFUSED, ClaimReason.NOT_ELIGIBLE)
    assert claim.person.eligibility == eligibility
    assert claim.entry.state == EntryState.INACTIVE
    assert claimed(moment_id) == 0
    assert count(BookingNotification) == 0
    status = soup(client.get(location)).find(id="status").get_text()
    assert "We konden u dit moment niet geven" in status
    message = db.session.scalar(select(OutboxMessage))
    assert message.purpose == "direct_refused"
    # The released slot can be taken again.
    assert client.post(f"/nl/moments/{moment_id}", data=form()).status_code == 303


@pytest.mark.parametrize(
    ("lang", "text", "full"),
    [
        ("nl", "Alle plaatsen van dit moment zijn net ingenomen.", "Volzet"),
        ("fr", "Toutes les places de ce moment viennent d’être prises.", "Complet"),
        ("de", "Alle Plätze dieses Termins wurden gerade vergeben.", "Ausgebucht"),
    ],
)
def test_a_full_moment_is_refused(client, make_moment, app_ctx, lang, text, full):
    moment_id = make_moment(slots=1)
    data = direct.ClaimData(
        person=PersonData(ELIGIBLE, "Peeters", "Maria", "m@example.be", "+32470123456"),
        postcode="9000",
        language="nl",
    )
    direct.claim_moment(moment_id, data)

    response = client.post(
        f"/{lang}/moments/{moment_id}", data=form(ssin=ELIGIBLE_TOO, language=lang)
    )

    assert response.status_code == 422
    page = soup(response)
    assert page.find(id="error-summary").get_text(" ", strip=True).startswith(text)
    assert page.find("form", class_="registration") is None
    assert claimed(moment_id) == 1
    assert count(DirectClaim) == 1
    assert count(Person) == 1
    again = soup(client.get(f"/{lang}/moments/{moment_id}"))
    assert full in again.find(class_="notice").get_text()


@pytest.mark.parametrize(
    ("lang", "field", "value", "message"),
    [
        ("nl", "ssin", "12345678901", "Dit rijksregisternummer is niet geldig."),
        ("fr", "ssin", "", "Indiquez le numéro de registre national."),
        ("de", "last_name", "", "Geben Sie den Nachnamen ein."),
        ("nl", "email", "maria@", "Vul een e-mailadres in zoals naam@voorbeeld.be."),
        ("fr", "mobile", "02 123 45 67", "Indiquez un numéro de GSM belge"),
        ("de", "postcode", "99", "Geben Sie eine belgische Postleitzahl"),
        ("nl", "postcode", "1999", "We kennen deze postcode niet in België."),
        ("fr", "language", "en", "Choisissez une langue."),
    ],
)
def test_field_errors_are_shown_and_nothing_is_taken(
    client, make_moment, app_ctx, lang, field, value, message
):
    moment_id = make_moment(slots=2)

    response = client.post(f"/{lang}/moments/{moment_id}", data=form(**{field: value}))

    assert response.status_code == 422
    page = soup(response)
    error = page.find(id=f"{field}-error").get_text(" ", strip=True)
    assert message in error
    assert page.find(id="error-summary").find("a", href=f"#{field}")
    assert claimed(moment_id) == 0
    assert count(DirectClaim) == 0


def test_a_number_already_on_the_list_is_refused_without_telling_the_page(
    client, make_moment, app_ctx, vcdb
):
    first = make_moment(days=1)
    second = make_moment(days=2)
    claim_and_check(client, first)

    location = claim_and_check(
        client, second, lang="fr", email="someone.else@example.be", language="fr"
    )

    claim = db.session.scalar(select(DirectClaim).filter_by(moment_id=second))
    assert (claim.state, claim.reason) == (
        ClaimState.REFUSED,
        ClaimReason.ALREADY_REGISTERED,
    )
    assert claim.entry_id is None
    assert claimed(second) == 0 and claimed(first) == 1
    assert count(Entry) == 1
    message = db.session.scalar(
        select(OutboxMessage).filter_by(purpose="direct_refused")
    )
    assert message.recipient == "maria.peeters@example.be"  # the registered one
    # ...in the language it registered with (Dutch), not the claim's French.
    assert message.language == "nl"
    assert message.subject == "We konden u het vaccinatiemoment niet geven"
    assert (
        "Nous n’avons pas pu vous donner ce moment"
        in soup(client.get(location)).find(id="status").get_text()
    )


def test_a_person_refused_before_may_claim_again(client, make_moment, app_ctx, vcdb):
    first = make_moment(days=1)
    second = make_moment(days=2)
    vcdb.set_person(ELIGIBLE, status="not_eligible")
    claim_and_check(client, first)
    vcdb.set_person(ELIGIBLE, status="eligible")

    claim_and_check(client, second, first_name="Marie")

    claims = db.session.scalars(select(DirectClaim).order_by(DirectClaim.id)).all()
    assert [c.state for c in claims] == [ClaimState.REFUSED, ClaimState.CONFIRMED]
    # The refused entry held nothing: the new claim replaced it.
    assert claims[0].entry_id is None and claims[1].entry_id is not None
    assert claims[1].person.first_name == "Marie"
    assert db.session.scalar(select(func.count(Person.id))) == 1
    assert (claimed(first), claimed(second)) == (0, 1)


def test_a_claim_waits_while_the_database_is_down(client, make_moment, app_ctx, vcdb):
    moment_id = make_moment()
    vcdb.configure(outage=True)
    client.post("/nl/moments/" + str(moment_id), data=form())
    claim_id = db.session.scalar(select(DirectClaim.id))

    assert direct_jobs.check_claim(claim_id) == "unavailable"
    claim = db.session.get(DirectClaim, claim_id)
    assert claim.state == ClaimState.CHECKING and claim.check_attempts == 1
    assert claimed(moment_id) == 1  # the place is kept
    assert direct_jobs.check_claim(claim_id) == "not due"

    vcdb.configure(outage=False)
    claim.next_check_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert direct.due_checks(datetime.now(UTC)) == [claim_id]
    assert direct_jobs.check_claim(claim_id) == "confirmed"
    assert direct_jobs.check_claim(claim_id) == "done"  # safe to run twice


def test_the_vaccination_code_database_is_told_once(client, make_moment, app_ctx, vcdb):
    moment_id = make_moment(days=4)
    claim_and_check(client, moment_id)
    claim_id = db.session.scalar(select(DirectClaim.id))

    assert direct_jobs.mark_invited(claim_id) is True
    assert direct_jobs.mark_invited(claim_id) is False

    record = vcdb.set_person(ELIGIBLE)
    assert record["invited"] is True
    assert record["invitation"] == {
        "centre_id": "vl-gent-flanders-expo",
        "date": (local_today() + timedelta(days=4)).isoformat(),
    }
    assert db.session.get(DirectClaim, claim_id).vcdb_marked_at is not None


def test_claim_data_are_the_registration_fields(app_ctx, make_moment):
    """The service takes the same checked data as a registration."""
    moment_id = make_moment(slots=1)
    data = direct.ClaimData(
        person=PersonData(ELIGIBLE, "Peeters", "Maria", "m@example.be", "+32470123456"),
        postcode="9000",
        language="de",
    )

    claim = direct.claim_moment(moment_id, data)

    assert claim.language == "de" and claim.entry.postcode == "9000"
    with pytest.raises(direct.DomainError):
        direct.claim_moment(moment_id, data)


def test_the_confirmation_reaches_the_mail_relay(
    client, make_moment, app_ctx, vcdb, monkeypatch
):
    smtp = SmtpServer().start()
    try:
        monkeypatch.setitem(app_ctx.config, "MAIL_HOST", "127.0.0.1")
        monkeypatch.setitem(app_ctx.config, "MAIL_PORT", smtp.port)
        moment_id = make_moment(days=1)
        claim_and_check(client, moment_id, lang="de", language="de")
        message_id = db.session.scalar(select(OutboxMessage.id))

        assert deliver(message_id) is True

        [mail] = smtp.received
    finally:
        smtp.stop()
    assert mail["rcpt_tos"] == ["maria.peeters@example.be"]
    assert mail["message"]["Subject"] == "Ihr Impftermin ist bestätigt"
    body = mail["message"].get_content()
    assert f"Ihr Impfcode: {vaccination_code(ELIGIBLE)}" in body
    assert "Bringen Sie Ihren elektronischen Personalausweis (eID)" in body


def test_a_claim_still_unchecked_when_its_moment_ends_is_refused(
    client, make_moment, app_ctx, vcdb
):
    moment_id = make_moment(days=1)
    client.post(f"/nl/moments/{moment_id}", data=form())
    claim_id = db.session.scalar(select(DirectClaim.id))
    past = datetime.now(UTC) - timedelta(hours=1)
    db.session.execute(
        OpenMoment.__table__.update()
        .where(OpenMoment.id == moment_id)
        .values(starts_at=past - timedelta(hours=2), ends_at=past)
    )
    db.session.commit()

    assert direct_jobs.check_claim(claim_id) == "refused"

    claim = db.session.get(DirectClaim, claim_id)
    assert claim.reason == ClaimReason.MOMENT_PASSED
    assert claimed(moment_id) == 0
