"""Situation d: coming along with someone who has booked, through the form.

The simulator's example person 65042086228 (serial 862) has booked with code
V3XF-FETL-EM8E-FKCZ: on day T + 1 + 862 % 5 = T + 3 (T: the simulator's
today, the UTC date), day part 862 % 3 = 1, the afternoon, at 14:00 + 15 x
(862 % 4 = 2) minutes = 14:30, at centre 862 % 5 = 2, vl-gent-flanders-expo.
65042012388 is eligible and has not booked: code HH9M-RFG8-YQWU-QLPM.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select, text

from app import links
from app.extensions import db
from app.models import (
    Entry,
    EntryCentre,
    EntryKind,
    EntryState,
    OutboxMessage,
    Person,
    Submission,
)
from app.services import availability
from jobs import eligibility as eligibility_jobs
from jobs import reminders
from tests.factories import make_ssin

BOOKED_CODE = "V3XF-FETL-EM8E-FKCZ"
UNBOOKED_CODE = "HH9M-RFG8-YQWU-QLPM"
COMPANION = make_ssin("400607", 321)  # born 7 June 1940, eligible


def booking_day():
    return datetime.now(UTC).date() + timedelta(days=3)


def companion_form(**overrides):
    data = {
        "companion_code": BOOKED_CODE,
        "ssin": COMPANION,
        "last_name": "Wouters",
        "first_name": "Rita",
        "postcode": "9000",
        "email": "rita.wouters@example.be",
        "mobile": "0470 11 22 33",
        "language": "nl",
        "availability": [f"{booking_day().isoformat()}:afternoon"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("lang", "found"),
    [
        ("nl", "We hebben de afspraak gevonden"),
        ("fr", "Nous avons trouvé le rendez-vous"),
        ("de", "Wir haben den Termin gefunden"),
    ],
)
def test_checking_the_code_shows_the_booking_and_ticks_its_day_part(
    client, app_ctx, vcdb, lang, found
):
    response = client.post(
        f"/{lang}/register/companion",
        data={"companion_code": "v3xf fetl em8e fkcz", "check_code": "1"},
    )

    assert response.status_code == 200
    page = soup(response)
    booking = page.find(id="booking").get_text()
    assert found in booking
    assert "Gent" in booking
    ticked = page.select("input[name=availability][checked]")
    assert [box["value"] for box in ticked] == [f"{booking_day()}:afternoon"]
    assert all(box["type"] == "radio" for box in page.select("[name=availability]"))
    # The booking names a centre we know: nothing to choose.
    assert page.find("input", attrs={"name": "centres"}) is None
    assert count(Entry) == 0


def test_a_companion_is_an_entry_that_ranks_first(client, app_ctx, vcdb):
    response = client.post(
        "/nl/register/companion",
        data=companion_form(centres=["wal-bressoux"]),
    )

    assert response.status_code == 303
    assert response.headers["Location"].startswith("/nl/register/status/")
    entry = db.session.scalar(select(Entry))
    assert (entry.kind, entry.is_companion) == (EntryKind.COMPANION, True)
    assert entry.companion_code == BOOKED_CODE
    # The centre of the booking, not the one posted.
    assert [link.centre.code for link in entry.centres] == ["vl-gent-flanders-expo"]
    assert availability.decode(entry.avail_from_day, entry.avail_bits) == [
        (booking_day(), availability.AFTERNOON)
    ]
    raw = db.session.execute(text("SELECT companion_code FROM entry")).scalar()
    assert "V3XF" not in raw.upper()

    eligibility_jobs.check_entry(entry.id)

    link = db.session.scalar(select(EntryCentre))
    assert (link.priority, link.rankable, link.size) == (0, True, 1)
    assert link.rank_birth_day == availability.day_number(date(1940, 6, 7))
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).state == EntryState.ACTIVE
    message = db.session.scalar(select(OutboxMessage))
    assert message.purpose == "registration_accepted"
    assert message.recipient == "rita.wouters@example.be"


def test_a_companion_is_offered_nothing_to_renew(client, app_ctx, vcdb):
    client.post("/nl/register/companion", data=companion_form())
    entry = db.session.scalar(select(Entry))
    eligibility_jobs.check_entry(entry.id)
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)

    accepted = db.session.scalar(select(OutboxMessage)).body
    assert "voor dat dagdeel alleen" in " ".join(accepted.split())
    assert "herinnering" not in accepted and "verlengen" not in accepted
    page = soup(client.get(f"/nl/me/{links.personal_token(entry)}"))
    assert page.find("form", action=lambda a: a and a.endswith("/renew")) is None
    assert "Kies een ander dagdeel als de afspraak verplaatst werd" in page.get_text()
    # No reminder when the day part comes near: there is nothing to renew.
    entry.available_until = availability.local_now().date() + timedelta(days=2)
    db.session.commit()
    assert reminders.send_reminders() == 0


def test_the_chosen_centre_stays_in_view_when_it_is_not_near_the_postcode(client):
    # Eupen's postcode; the booking is in Gent, among the "other centres".
    page = soup(
        client.post(
            "/nl/register",
            data={"postcode": "4700", "centres": ["vl-gent-flanders-expo"],
                  "show_centres": "1"},
        )
    )  # fmt: skip

    others = page.find(id="centres").find("details")
    assert others.has_attr("open")
    assert others.find("input", value="vl-gent-flanders-expo").has_attr("checked")


@pytest.mark.parametrize(
    ("lang", "code", "message"),
    [
        ("nl", "AAAA-BBBB-CCCC-DDDD", "We kennen deze vaccinatiecode niet."),
        (
            "fr",
            "AAAA-BBBB-CCCC-DDDD",
            "Nous ne connaissons pas ce code de vaccination.",
        ),
        ("de", "AAAA-BBBB-CCCC-DDDD", "Wir kennen diesen Impfcode nicht."),
        ("nl", UNBOOKED_CODE, "Deze vaccinatiecode heeft geen afspraak."),
        ("fr", UNBOOKED_CODE, "Ce code de vaccination n’a pas de rendez-vous."),
        ("de", UNBOOKED_CODE, "Für diesen Impfcode ist kein Termin gebucht."),
        ("nl", "12345", "Een vaccinatiecode telt 16 letters en cijfers"),
        ("de", "", "Geben Sie den Impfcode der begleiteten Person ein."),
    ],
)
def test_a_wrong_or_unbooked_code_is_refused(
    client, app_ctx, vcdb, lang, code, message
):
    response = client.post(
        f"/{lang}/register/companion",
        data=companion_form(companion_code=code, language=lang),
    )

    assert response.status_code == 422
    page = soup(response)
    assert message in page.find(id="error-summary").get_text()
    assert message in page.find(id="companion_code-error").get_text()
    assert page.find("input", attrs={"name": "first_name"})["value"] == "Rita"
    assert count(Entry) == 0 and count(Submission) == 0


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("nl", "Kies precies één dag en één dagdeel."),
        ("fr", "Choisissez un seul jour et un seul moment de la journée."),
        ("de", "Wählen Sie genau einen Tag und eine Tageszeit."),
    ],
)
def test_a_second_day_part_is_refused(client, app_ctx, vcdb, lang, message):
    day = booking_day().isoformat()

    response = client.post(
        f"/{lang}/register/companion",
        data=companion_form(availability=[f"{day}:afternoon", f"{day}:evening"]),
    )

    assert response.status_code == 422
    assert message in soup(response).find(id="availability-error").get_text()
    assert count(Entry) == 0


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("nl", "Kies het dagdeel van de afspraak: {day}, namiddag."),
        (
            "fr",
            "Choisissez le moment de la journée du rendez-vous\u00a0: "
            "{day}, après-midi.",
        ),
        ("de", "Wählen Sie die Tageszeit des Termins: {day}, Nachmittag."),
    ],
)
def test_a_day_part_other_than_the_appointment_is_refused(
    app, client, app_ctx, vcdb, lang, message
):
    from flask_babel import force_locale

    from app.formats import format_day

    # The appointment is in the afternoon; the evening of that day is not it.
    evening = f"{booking_day().isoformat()}:evening"
    response = client.post(
        f"/{lang}/register/companion", data=companion_form(availability=[evening])
    )
    with app.test_request_context(), force_locale(lang):
        day = format_day(booking_day())

    assert response.status_code == 422
    error = soup(response).find(id="availability-error").get_text()
    assert message.format(day=day) in error
    assert count(Entry) == 0 and count(Submission) == 0


def test_no_day_part_is_refused_too(client, app_ctx, vcdb):
    response = client.post(
        "/nl/register/companion", data=companion_form(availability=[])
    )

    assert response.status_code == 422
    assert count(Entry) == 0


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("nl", "We kunnen vaccinatiecodes nu niet controleren."),
        ("fr", "Nous ne pouvons pas vérifier les codes de vaccination pour le moment."),
        ("de", "Wir können Impfcodes gerade nicht prüfen."),
    ],
)
def test_the_code_database_down_asks_to_try_again_later(
    client, app_ctx, vcdb, lang, message
):
    vcdb.configure(outage=True)

    response = client.post(f"/{lang}/register/companion", data=companion_form())

    assert response.status_code == 503
    assert message in soup(response).find(id="companion_code-error").get_text()
    assert count(Entry) == 0


def test_a_booking_without_a_known_centre_lets_the_person_choose(client, app_ctx, vcdb):
    booked = make_ssin("650420", 123)
    record = vcdb.set_person(
        booked,
        status="booked",
        booking={
            "date": booking_day().isoformat(),
            "day_part": "evening",
            "time": None,
            "centre_id": "somewhere-else",
        },
    )
    code = record["vaccination_code"]

    checked = client.post(
        "/fr/register/companion", data={"companion_code": code, "check_code": "1"}
    )
    without = client.post(
        "/fr/register/companion",
        data=companion_form(
            companion_code=code, availability=[f"{booking_day()}:evening"]
        ),
    )
    chosen = client.post(
        "/fr/register/companion",
        data=companion_form(
            companion_code=code,
            availability=[f"{booking_day()}:evening"],
            centres=["wal-bressoux"],
        ),
    )

    assert soup(checked).find("input", attrs={"name": "centres"}) is not None
    assert without.status_code == 422
    assert "Choisissez au moins un centre de vaccination" in soup(without).get_text()
    assert chosen.status_code == 303
    entry = db.session.scalar(select(Entry))
    assert [link.centre.code for link in entry.centres] == ["wal-bressoux"]


def test_a_companion_already_on_the_list_waits_for_confirmation(client, app_ctx, vcdb):
    client.post(
        "/nl/register",
        data={
            **companion_form(),
            "centres": ["wal-bressoux"],
            "availability": [f"{booking_day()}:morning", f"{booking_day()}:evening"],
        },
    )
    first = db.session.scalar(select(Entry))
    eligibility_jobs.check_entry(first.id)

    again = client.post(
        "/nl/register/companion", data=companion_form(email="rita@example.be")
    )

    assert again.status_code == 303
    assert again.headers["Location"].startswith("/nl/register/status/")
    assert count(Entry) == 1 and count(Person) == 1
    eligibility_jobs.check_entry(first.id)
    confirm = db.session.scalars(
        select(OutboxMessage).filter_by(purpose="confirm_update")
    ).one()
    assert confirm.recipient == "rita.wouters@example.be"
    link = next(line for line in confirm.body.splitlines() if "/nl/confirm/" in line)
    assert (
        client.post(link.strip().replace("http://127.0.0.1:5000", "")).status_code
        == 303
    )
    db.session.expire_all()
    entry = db.session.get(Entry, first.id)
    assert (entry.kind, entry.is_companion) == ("companion", True)
    assert entry.companion_code == BOOKED_CODE
    assert availability.decode(entry.avail_from_day, entry.avail_bits) == [
        (booking_day(), availability.AFTERNOON)
    ]
    assert entry.centres[0].priority == 0


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"companion_code": "x" * 100_000},
        {"companion_code": ["AAAA", "BBBB"], "check_code": "1"},
        {"companion_code": "'; DROP TABLE entry; --", "availability": ["x"] * 500},
        {"companion_code": "\u0000" * 16, "centres": "<script>"},
    ],
)
def test_hostile_posts_never_cause_a_server_error(client, app_ctx, vcdb, data):
    response = client.post("/nl/register/companion", data=data)

    assert response.status_code in (400, 422)
    assert count(Entry) == 0
