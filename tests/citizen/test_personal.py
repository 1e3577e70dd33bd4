"""The personal link: see, change, renew, withdraw; reminders; rate limits."""

from datetime import timedelta

from bs4 import BeautifulSoup
from sqlalchemy import func, select, text

from app import links
from app.extensions import db
from app.models import Entry, OutboxMessage, Person, Submission
from app.services import availability
from app.services import entries as entries_module
from jobs import eligibility as eligibility_jobs
from jobs import reminders
from tests.citizen.test_registration import ELIGIBLE, form, tomorrow


def registered(client, **overrides):
    client.post("/nl/register", data=form(**overrides))
    entry_id = db.session.scalar(select(Entry.id).order_by(Entry.id.desc()))
    eligibility_jobs.check_entry(entry_id)
    db.session.expire_all()
    return db.session.get(Entry, entry_id)


def personal_path(entry):
    return f"/nl/me/{links.personal_token(entry)}"


def test_personal_page_shows_the_registration(client, app_ctx, vcdb):
    entry = registered(client)

    page = BeautifulSoup(
        client.get(personal_path(entry)).get_data(as_text=True), "html.parser"
    )

    assert "Maria Peeters" in page.get_text()
    assert "Vaccinatiecentrum Gent (Flanders Expo, hal 2)" in page.get_text()


def test_a_forged_or_outdated_link_is_a_plain_404(client, app_ctx, vcdb):
    entry = registered(client)
    good = personal_path(entry)

    assert client.get(good[:-2] + "xx").status_code == 404
    entry.link_version += 1
    db.session.commit()
    assert client.get(good).status_code == 404


def test_change_availability_and_centres(client, app_ctx, vcdb):
    entry = registered(client)
    day = (tomorrow() + timedelta(days=3)).isoformat()

    response = client.post(
        personal_path(entry) + "/change",
        data={"centres": ["wal-bressoux"], "availability": [f"{day}:afternoon"]},
    )

    assert response.status_code == 303
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert [c.centre.code for c in entry.centres] == ["wal-bressoux"]
    assert availability.decode(entry.avail_from_day, entry.avail_bits) == [
        (tomorrow() + timedelta(days=3), availability.AFTERNOON)
    ]
    assert entry.centres[0].rankable


def test_change_with_bad_values_is_refused_and_changes_nothing(client, app_ctx, vcdb):
    entry = registered(client)
    before = (entry.avail_from_day, entry.avail_bits)

    response = client.post(
        personal_path(entry) + "/change", data={"availability": ["nope"]}
    )

    assert response.status_code == 422
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert (entry.avail_from_day, entry.avail_bits) == before


def test_renew_keeps_the_weekdays_and_day_parts(client, app_ctx, vcdb):
    entry = registered(client)

    response = client.post(personal_path(entry) + "/renew")

    assert response.status_code == 303
    db.session.expire_all()
    slots = availability.decode(*_avail(db.session.get(Entry, entry.id)))
    weekday = tomorrow().weekday()
    # Tomorrow's weekday, morning and evening, on each of the next two weeks.
    assert {(d.weekday(), p.name) for d, p in slots} == {
        (weekday, "morning"),
        (weekday, "evening"),
    }
    assert len(slots) == 4


def _avail(entry):
    return entry.avail_from_day, entry.avail_bits


def test_withdrawal_erases_every_personal_field(client, app_ctx, vcdb):
    entry = registered(client)
    path = personal_path(entry)

    assert client.get(path + "/withdraw").status_code == 200
    response = client.post(path + "/withdraw")

    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    goodbye = db.session.scalars(
        select(OutboxMessage).filter_by(purpose="withdrawn")
    ).one()
    assert goodbye.entry_id is None
    assert client.get(path).status_code == 404


def test_the_reminder_is_sent_once_two_days_before_the_end(client, app_ctx, vcdb):
    entry = registered(client)
    today = availability.local_now().date()
    entry.available_until = today + timedelta(days=2)
    db.session.commit()

    assert reminders.send_reminders() == 1
    assert reminders.send_reminders() == 0

    reminder = db.session.scalars(
        select(OutboxMessage).filter_by(purpose="reminder")
    ).one()
    assert reminder.recipient == "maria.peeters@example.be"
    assert "/nl/me/" in reminder.body


def test_availability_in_the_past_no_longer_counts(client, app_ctx, vcdb):
    entry = registered(client)
    yesterday = availability.local_now().date() - timedelta(days=1)
    entry.avail_from_day, entry.avail_bits = availability.encode(
        [(yesterday, availability.MORNING), (tomorrow(), availability.EVENING)]
    )
    db.session.commit()

    reminders.send_reminders()

    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert availability.decode(*_avail(entry)) == [(tomorrow(), availability.EVENING)]
    assert entry.centres[0].avail_from_day == availability.day_number(tomorrow())


def test_the_registration_form_is_rate_limited_per_address(make_app, app, app_ctx):
    limited = make_app(
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=True,
        RATELIMIT_PUBLIC_FORMS="3 per minute",
    )
    client = limited.test_client()
    address = {"REMOTE_ADDR": "203.0.113.7"}

    codes = [
        client.post("/fr/register", data={}, environ_base=address).status_code
        for _ in range(4)
    ]

    assert codes == [422, 422, 422, 429]
    page = client.post("/fr/register", data={}, environ_base=address)
    assert "Veuillez patienter" in page.get_data(as_text=True)
    # Another address is not affected.
    other = client.post(
        "/fr/register", data={}, environ_base={"REMOTE_ADDR": "203.0.113.8"}
    )
    assert other.status_code == 422


def test_behind_a_proxy_the_forwarded_address_counts(make_app, app, app_ctx):
    limited = make_app(
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=True,
        RATELIMIT_PUBLIC_FORMS="2 per minute",
        PROXY_COUNT=1,
    )
    client = limited.test_client()

    def post(forwarded):
        return client.post(
            "/nl/register",
            data={},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
            headers={"X-Forwarded-For": forwarded},
        ).status_code

    assert [post("198.51.100.1") for _ in range(3)] == [422, 422, 429]
    assert post("198.51.100.2") == 422


def test_no_personal_data_is_stored_in_clear(client, app_ctx, vcdb):
    registered(client)

    dump = " ".join(
        str(value)
        for table in ("person", "outbox_message", "submission")
        for row in db.session.execute(text(f"SELECT * FROM {table}"))
        for value in row
    )
    for secret in (ELIGIBLE, "Peeters", "maria.peeters@example.be", "+32470123456"):
        assert secret not in dump


def test_a_paused_person_confirms_to_stay(client, app_ctx, vcdb):
    entry = registered(client)
    entry.state, entry.unanswered_count = "paused", 3
    entries_module.sync_ranking(entry)
    db.session.commit()
    assert not entry.centres[0].rankable

    response = client.post(personal_path(entry) + "/stay")

    assert response.status_code == 303
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert (entry.state, entry.unanswered_count) == ("active", 0)
    assert entry.centres[0].rankable


def test_dates_are_written_the_way_each_language_writes_them(app):
    from datetime import date

    from flask_babel import force_locale

    from app.i18n import format_day

    with app.test_request_context():
        written = {}
        for lang in ("nl", "fr", "de"):
            with force_locale(lang):
                written[lang] = format_day(date(2026, 12, 4))

    assert written == {
        "nl": "vrijdag 4 december",
        "fr": "vendredi 4 décembre",
        "de": "Freitag, 4. Dezember",
    }


def test_a_link_to_an_erased_entry_never_opens_a_later_one_with_its_id(
    client, app_ctx, vcdb
):
    entry = registered(client)
    old_id, old_path = entry.id, personal_path(entry)
    client.post(old_path + "/withdraw")

    # SQLite hands a freed id out again; force the same on any database.
    db.session.add(Entry(id=old_id, language="nl", postcode="9000"))
    db.session.commit()

    assert client.get(old_path).status_code == 404
