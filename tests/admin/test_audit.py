"""The audit trail page: operators only, filtered and paginated."""

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale

from app.admin import audit_labels
from app.extensions import db
from app.models import AuditEvent, Role
from tests.admin.conftest import MONITOR, OPERATOR, STAFF, page


@pytest.fixture
def events(app, make_user):
    """60 reads of entry 7 by an agent, 1 change of entry 8 by a doctor."""
    agent = make_user("agent@lmb.test", Role.AGENT)
    doctor = make_user("doctor@lmb.test", Role.DOCTOR, riziv_number="10000000000")
    start = datetime(2021, 4, 6, 8, 0, tzinfo=UTC)
    with app.app_context():
        for minute in range(60):
            db.session.add(
                AuditEvent(
                    at=start + timedelta(minutes=minute),
                    actor_id=agent,
                    actor_role=Role.AGENT,
                    action="entry_read",
                    entry_id=7,
                )
            )
        db.session.add(
            AuditEvent(
                at=datetime(2021, 4, 9, 21, 30, tzinfo=UTC),  # 23:30 in Brussels
                actor_id=doctor,
                actor_role=Role.DOCTOR,
                action="entry_changed",
                entry_id=8,
                detail="email,mobile",
            )
        )
        db.session.commit()
        db.session.remove()
    return {"agent": agent, "doctor": doctor}


def rows(soup):
    return [
        [td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in soup.select("table tbody tr")
    ]


def test_newest_first_fifty_per_page(login, events):
    client = login(OPERATOR)

    first = page(client.get("/admin/audit", query_string={"entry": 7}))
    second = page(client.get("/admin/audit", query_string={"entry": 7, "page": 2}))
    everything = page(client.get("/admin/audit"))

    assert len(rows(first)) == 50
    assert rows(first)[0][0] != rows(first)[1][0]
    assert rows(first)[0][1:] == [
        f"agent@lmb.test (#{events['agent']})",
        "Medewerker van het contactcenter",
        "Opende een inschrijving",
        "7",
        "",
    ]
    assert len(rows(second)) == 10
    assert second.find("a", rel="prev")["href"] == "/admin/audit?page=1&entry=7"
    assert second.find("a", rel="next") is None
    # Account events (creation, log-in) are in the trail too; the change of
    # entry 8 is the newest event about an entry.
    about_entries = [row for row in rows(everything) if row[4] != "–"]
    assert about_entries[0][1:] == [
        f"doctor@lmb.test (#{events['doctor']})",
        "Arts",
        "Wijzigde een inschrijving",
        "8",
        "e-mailadres, gsm-nummer",
    ]


def test_codes_are_shown_in_words_and_unknown_ones_as_stored(app, login):
    with app.app_context():
        db.session.add_all(
            [
                AuditEvent(
                    at=datetime(2021, 4, 6, 8, 0, tzinfo=UTC),
                    actor_role="system",
                    action="entry_erased",
                    entry_id=9,
                    detail="lapsed",
                ),
                AuditEvent(
                    at=datetime(2021, 4, 6, 9, 0, tzinfo=UTC),
                    actor_role="citizen",
                    action="some_future_action",
                    entry_id=9,
                ),
            ]
        )
        db.session.commit()
        db.session.remove()
    client = login(OPERATOR)
    client.get("/staff/language/fr")

    shown = rows(page(client.get("/admin/audit", query_string={"entry": 9})))

    assert [row[2:4] for row in shown] == [
        ["La personne elle-même", "some_future_action"],
        ["Tâche planifiée", "A effacé une inscription"],
    ]
    assert [row[5] for row in shown] == ["", "disponibilités expirées"]


@pytest.mark.parametrize(
    ("detail", "words"),
    [
        ("campaign 12", "campagne 12"),
        ("campaign 12 per_slot 3", "campagne 12, 3 par place"),
        ("recipient doctor", "les invitations vont au médecin"),
        ("situation c", "un groupe"),
        ("last_name,language", "nom de famille, langue"),
        ("replaced", "remplacée par une nouvelle inscription"),
        ("something new", "something new"),
    ],
)
def test_details_are_worded_in_the_readers_language(app, detail, words):
    with app.test_request_context(), force_locale("fr"):
        assert audit_labels.detail_words(detail) == words


def test_filters(login, events):
    client = login(OPERATOR)

    def count(**query):
        return len(rows(page(client.get("/admin/audit", query_string=query))))

    assert count(entry=8) == 1
    assert count(entry=7, page=2) == 10
    assert count(entry=8, actor="Doctor@LMB.test") == 1
    assert count(entry=7, actor="Doctor@LMB.test") == 0
    assert count(entry=7, actor=str(events["agent"]), page=2) == 10
    # Brussels days: 23:30 on 9 April is 21:30 UTC.
    assert count(**{"from": "2021-04-09", "to": "2021-04-09"}) == 1
    assert count(**{"from": "2021-04-06", "to": "2021-04-06", "page": 2}) == 10
    assert count(actor="nobody@lmb.test") == 0


def test_bad_filters_are_refused(login):
    client = login(OPERATOR)

    assert client.get("/admin/audit", query_string={"entry": "x"}).status_code == 422


@pytest.mark.parametrize("role", [MONITOR, STAFF])
def test_only_operators(login, role):
    client = login(role, centre_code="vl-gent-flanders-expo" if role == STAFF else None)

    assert client.get("/admin/audit").status_code == 403
