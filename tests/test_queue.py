"""Enqueueing once per thing, and again after a failure."""

from rq import SimpleWorker
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from app.queue import enqueue_unique, get_queue, job_id
from jobs import maintenance


def test_a_waiting_job_is_not_enqueued_twice_but_a_failed_one_is_redone(app_ctx):
    queue = get_queue("low")

    assert enqueue_unique("low", maintenance.heartbeat, kind="test-once")
    assert enqueue_unique("low", maintenance.heartbeat, kind="test-once")
    assert queue.count == 1

    job = Job.fetch(
        job_id("test-once"), connection=queue.connection, serializer=JSONSerializer
    )
    job.set_status(JobStatus.FAILED)
    queue.remove(job)

    assert enqueue_unique("low", maintenance.heartbeat, kind="test-once")
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(
        burst=True
    )
    assert queue.count == 0
    # Finished jobs leave no trace: the same work can be asked for again.
    assert enqueue_unique("low", maintenance.heartbeat, kind="test-once")
    queue.empty()
