"""The monitoring page: health of every part, without any personal data."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from rq import Worker
from rq.serializers import JSONSerializer
from rq.worker import WorkerStatus

from app import metrics
from app.adapters import vcdb as vcdb_adapter
from app.extensions import db
from app.models import MessageState, OutboxMessage
from app.queue import get_queue, job_id, redis_connection
from app.services import monitoring
from jobs import maintenance
from tests.admin.conftest import MONITOR, OPERATOR, STAFF, page
from tests.factories import make_ssin

HTMX = {"HX-Request": "true"}


def state_of(soup, part):
    badge = soup.select_one(f"#part-{part} .state")
    return [c for c in badge["class"] if c.startswith("state-")][0][len("state-") :]


@pytest.mark.parametrize("role", [OPERATOR, MONITOR])
def test_operators_and_monitors_open_the_page(login, role):
    client = login(role)

    response = client.get("/admin/monitoring")

    assert response.status_code == 200
    soup = page(response)
    assert state_of(soup, "database") == "ok"
    assert state_of(soup, "redis") == "ok"
    assert state_of(soup, "vcdb") == "ok"
    poller = soup.select_one("#monitoring")
    assert poller["hx-get"] == "/admin/monitoring"
    assert poller["hx-trigger"] == "every 15s"
    assert soup.find("a", href="/admin/monitoring") is not None  # without JS


def test_centre_staff_may_not(login):
    client = login(STAFF, centre_code="vl-gent-flanders-expo")

    assert client.get("/admin/monitoring").status_code == 403


def test_htmx_gets_the_fragment_only(login):
    client = login(MONITOR)

    response = client.get("/admin/monitoring", headers=HTMX)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="monitoring"')
    assert "HX-Request" in response.headers["Vary"]


def test_an_outage_of_the_vaccination_code_database_shows_within_a_minute(login, vcdb):
    client = login(MONITOR)
    assert state_of(page(client.get("/admin/monitoring")), "vcdb") == "ok"

    vcdb.configure(outage=True)
    started = time.monotonic()
    state = "ok"
    while time.monotonic() - started < 60:
        state = state_of(page(client.get("/admin/monitoring", headers=HTMX)), "vcdb")
        if state == "down":
            break
        time.sleep(1)

    assert state == "down"
    assert time.monotonic() - started < 60
    soup = page(client.get("/admin/monitoring"))
    assert "503" in soup.select_one("#part-vcdb").get_text()
    assert state_of(soup, "vcdb") == "down"


def test_failed_calls_are_counted_and_make_the_service_degraded(app, login, vcdb):
    client = login(OPERATOR)
    vcdb.configure(outage=True)
    with app.app_context():
        service = vcdb_adapter.from_config(app.config)
        with pytest.raises(vcdb_adapter.VaccinationCodeServiceUnavailable):
            service.check_eligibility(make_ssin("450101", 1))
    vcdb.configure(outage=False)
    with app.app_context():
        service.check_eligibility(make_ssin("450101", 2))

    with app.app_context():
        connection = redis_connection()
        stats = monitoring.call_stats(connection, app.config["RQ_QUEUE_PREFIX"], "vcdb")
    assert (stats.ok, stats.failed) == (1, 1)
    assert stats.last_success_at is not None
    soup = page(client.get("/admin/monitoring"))
    assert state_of(soup, "vcdb") == "degraded"
    row = " ".join(soup.select_one("#part-vcdb").get_text().split())
    assert "Bereikbaar: antwoordde in" in row
    assert "Laatste 15 minuten: 2 oproepen, 1 mislukt." in row


def test_workers_scheduler_queues_and_outbox(app, login):
    client = login(OPERATOR)
    prefix = app.config["RQ_QUEUE_PREFIX"]
    now = datetime.now(UTC)
    with app.app_context():
        connection = redis_connection()
        soup = page(client.get("/admin/monitoring"))
        assert state_of(soup, "workers") == "down"
        assert state_of(soup, "scheduler") == "down"

        worker = Worker(
            [get_queue(name) for name in ("high", "default", "low")],
            connection=connection,
            name=f"{prefix}-test-worker",
            serializer=JSONSerializer,
        )
        worker.register_birth()
        worker.set_state(WorkerStatus.IDLE)
        maintenance.heartbeat()
        get_queue("low").enqueue(
            "jobs.maintenance.heartbeat", job_id=job_id("monitoring-test", 1)
        )
        db.session.add_all(
            [
                OutboxMessage(
                    channel="email", purpose="test", language="nl",
                    recipient="x", body="x", state=state,
                    next_attempt_at=now - timedelta(minutes=minutes),
                )
                for state, minutes in [
                    (MessageState.QUEUED, 2),
                    (MessageState.QUEUED, -60),
                    (MessageState.FAILED, 0),
                ]
            ]
        )  # fmt: skip
        db.session.commit()
    try:
        soup = page(client.get("/admin/monitoring"))
    finally:
        with app.app_context():
            worker.register_death()
            get_queue("low").empty()

    assert state_of(soup, "workers") == "ok"
    assert state_of(soup, "scheduler") == "ok"
    worker_row = next(
        row
        for row in soup.find_all("tr")
        if row.th and row.th.get_text() == f"{prefix}-test-worker"
    )
    # RQ's "idle", in the page's words.
    assert worker_row.td.get_text() == "wacht op werk"
    queues = {
        row.th.get_text(): [td.get_text() for td in row.find_all("td")]
        for row in soup.find_all("table")[1].tbody.find_all("tr")
    }
    assert queues[f"{prefix}-low"] == ["1", "0", "0", "0"]
    outbox = soup.select_one("#part-outbox").get_text()
    assert "1" in outbox and state_of(soup, "outbox") == "ok"
    with app.app_context():
        info = monitoring.outbox_stats(db.session)
    assert (info.queued, info.due, info.failed) == (2, 1, 1)
    assert 110 <= info.oldest_due_seconds <= 200


def test_the_page_shows_no_personal_data(app, login, data):
    from app.models import Person

    client = login(MONITOR)
    with app.app_context():
        secrets = []
        for person in db.session.scalars(db.select(Person)):
            secrets += [person.ssin, person.email, person.first_name, person.mobile]
        db.session.remove()

    body = client.get("/admin/monitoring").get_data(as_text=True)

    assert secrets
    assert [s for s in secrets if s in body] == []
    assert "9000" not in body  # not even a postcode


# Each number as the page's language writes it.
WRITTEN = {
    "nl": {"total": "12.345", "rate": "173,1", "mean": "13,5 ms", "p50": "1.234,5 ms"},
    "fr": {
        "total": "12\u202f345",
        "rate": "173,1",
        "mean": "13,5 ms",
        "p50": "1\u202f234,5 ms",
    },
    "de": {"total": "12.345", "rate": "173,1", "mean": "13,5 ms", "p50": "1.234,5 ms"},
}


@pytest.mark.parametrize("lang", WRITTEN)
def test_every_number_is_written_the_pages_language_way(login, monkeypatch, lang):
    measured = metrics.current_status

    def large_figures():
        status = measured()
        status.requests = {
            "total": 12345,
            "server_errors": 2345,
            "per_minute": 173.1,
            "mean_ms": 13.5,
            "p50_ms": 1234.5,
            "p95_ms": None,
        }
        status.outbox = monitoring.OutboxInfo(
            queued=3456, due=1234, sent=0, failed=4567, oldest_due_seconds=5678
        )
        status.queues = [monitoring.QueueInfo("lmb-high", 6789, 1001, 0, 7890)]
        vcdb = next(s for s in status.services if s.name == "vcdb")
        vcdb.calls = monitoring.CallStats(ok=2500, failed=1500)
        return status

    monkeypatch.setattr(metrics, "current_status", large_figures)
    client = login(OPERATOR)

    soup = page(client.get("/admin/monitoring", headers={"Accept-Language": lang}))

    written = WRITTEN[lang]
    group = written["total"][2]  # the language's thousands separator
    figures = [dd.get_text() for dd in soup.select("#monitoring dl dd")]
    assert figures[:5] == [
        written["total"],
        f"2{group}345",
        written["rate"],
        written["mean"],
        written["p50"],
    ]
    queue = [td.get_text() for td in soup.find_all("table")[1].tbody.tr("td")]
    assert queue == [f"6{group}789", f"1{group}001", "0", f"7{group}890"]
    outbox = soup.select_one("#part-outbox").get_text()
    for number in ("1234", "3456", "4567", "5678"):
        assert f"{number[0]}{group}{number[1:]}" in outbox
    calls = soup.select_one("#part-vcdb").get_text()
    assert f"4{group}000" in calls and f"1{group}500" in calls
    assert "173.1" not in soup.get_text()
