"""From commit to worker: enqueueing after the commit, the sweeper, a real worker."""

import logging
import sys
import types
from datetime import timedelta

import pytest
from rq import SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Campaign,
    Centre,
    Invitation,
    MessageState,
    OutboxMessage,
    utcnow,
)
from app.queue import get_queue, job_id, redis_connection
from app.services import outbox
from jobs.outbox import deliver, sweep
from simulators.testing import free_port
from tests.outbox.test_delivery import commit_one, load, queue_test_email


def queued_ids(name):
    return get_queue(name).job_ids


def run_worker():
    queues = [get_queue(name) for name in ("high", "default")]
    worker = SimpleWorker(
        queues, connection=redis_connection(), serializer=JSONSerializer
    )
    worker.work(burst=True)


def test_commit_enqueues_delivery_on_the_default_queue(mail_app, empty_queues):
    message_id = commit_one()

    assert queued_ids("default") == [job_id("deliver", message_id)]
    assert queued_ids("high") == []
    job = Job.fetch(
        job_id("deliver", message_id),
        connection=redis_connection(),
        serializer=JSONSerializer,
    )
    assert job.func_name == "jobs.outbox.deliver"
    assert job.args == [message_id]


def test_rollback_enqueues_nothing(mail_app, empty_queues):
    queue_test_email()
    db.session.flush()
    db.session.rollback()
    db.session.commit()

    assert queued_ids("default") == []
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_a_waiting_job_is_not_enqueued_twice(mail_app, empty_queues):
    message_id = commit_one()

    assert outbox.enqueue_delivery([message_id]) == 0
    assert queued_ids("default") == [job_id("deliver", message_id)]


def test_worker_delivers_and_logs_no_personal_data(
    mail_app, smtp, empty_queues, caplog
):
    caplog.set_level(logging.DEBUG)
    message_id = commit_one(to="anais.dubois@example.be")

    run_worker()

    assert [r["rcpt_tos"] for r in smtp.received] == [["anais.dubois@example.be"]]
    assert load(message_id).state == MessageState.SENT
    assert queued_ids("default") == []
    assert f"outbox {message_id}: email handed over" in caplog.text
    for secret in ("anais", "Anaïs", "Dubois", "example.be/nl/me", "testbericht"):
        assert secret.lower() not in caplog.text.lower()


def test_redis_down_at_commit_then_the_sweeper_delivers(
    outbox_app, smtp, empty_queues, caplog
):
    outbox_app(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=smtp.port,
    )
    message_id = commit_one()  # the commit itself succeeds

    assert "cannot reach Redis" in caplog.text
    assert load(message_id).state == MessageState.QUEUED

    # Redis is back (an app with the working REDIS_URL).
    outbox_app(MAIL_HOST="127.0.0.1", MAIL_PORT=smtp.port)
    assert queued_ids("default") == []
    assert sweep() == 1
    assert queued_ids("default") == [job_id("deliver", message_id)]
    run_worker()
    assert load(message_id).state == MessageState.SENT

    assert len(smtp.received) == 1


def test_sweeper_picks_only_due_queued_messages(mail_app, empty_queues):
    now = utcnow()
    due = commit_one()
    later = commit_one()
    sent = commit_one()
    for message_id, state, next_attempt_at in (
        (due, MessageState.QUEUED, now - timedelta(minutes=1)),
        (later, MessageState.QUEUED, now + timedelta(minutes=1)),
        (sent, MessageState.SENT, now - timedelta(minutes=1)),
    ):
        stored = load(message_id)
        stored.state = state
        stored.next_attempt_at = next_attempt_at
        db.session.commit()
    for name in ("high", "default"):
        get_queue(name).empty()

    assert outbox.due_messages(now, 10) == [outbox.Due(due, None)]
    assert sweep() == 1
    assert queued_ids("default") == [job_id("deliver", due)]


@pytest.fixture
def invitations_hooks(monkeypatch):
    """Stands in for app.services.invitations, which another module provides."""
    calls = []
    module = types.ModuleType("app.services.invitations")
    module.message_delivered = lambda *args: calls.append(("delivered", *args))
    module.message_undeliverable = lambda *args: calls.append(("undeliverable", *args))
    monkeypatch.setitem(sys.modules, "app.services.invitations", module)
    return calls


def make_invitation():
    centre = db.session.scalars(select(Centre).order_by(Centre.id)).first()
    now = utcnow()
    campaign = Campaign(
        centre_id=centre.id,
        day=now.date(),
        start_time=(now + timedelta(hours=1)).time().replace(microsecond=0),
        end_time=(now + timedelta(hours=2)).time().replace(microsecond=0),
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
        slots=1,
    )
    db.session.add(campaign)
    db.session.flush()
    invitation = Invitation(campaign_id=campaign.id)
    db.session.add(invitation)
    db.session.flush()
    return invitation.id


def test_invitation_goes_to_the_high_queue_and_reports_delivery(
    mail_app, smtp, empty_queues, invitations_hooks
):
    invitation_id = make_invitation()
    message = queue_test_email(invitation_id=invitation_id)
    db.session.commit()
    message_id = message.id

    assert queued_ids("high") == [job_id("deliver", message_id)]
    run_worker()

    sent_at = load(message_id).sent_at
    assert sent_at is not None
    assert invitations_hooks == [("delivered", invitation_id, sent_at)]


def test_undeliverable_invitation_is_reported(
    mail_app, smtp, empty_queues, invitations_hooks
):
    invitation_id = make_invitation()
    message = queue_test_email(to="unknown@example.be", invitation_id=invitation_id)
    db.session.commit()

    deliver(message.id)

    assert invitations_hooks == [("undeliverable", invitation_id)]


def test_cancelled_invitation_messages_are_not_sent(
    mail_app, smtp, empty_queues, invitations_hooks
):
    invitation_id = make_invitation()
    message = queue_test_email(invitation_id=invitation_id)
    db.session.commit()
    message_id = message.id

    assert outbox.cancel_queued(invitation_id=invitation_id) == 1
    db.session.commit()
    run_worker()

    stored = load(message_id)
    assert (stored.state, stored.last_error) == (MessageState.FAILED, "cancelled")
    assert smtp.received == []
    assert invitations_hooks == []


def test_locked_message_is_left_to_the_worker_holding_it(mail_app, smtp):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter")
    message_id = commit_one()

    with db.engine.connect() as other:
        other.execute(
            select(OutboxMessage.id)
            .where(OutboxMessage.id == message_id)
            .with_for_update()
        )
        assert deliver(message_id) is False
        other.rollback()

    assert smtp.received == []
    assert deliver(message_id) is True
    assert len(smtp.received) == 1
