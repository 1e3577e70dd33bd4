"""The RQ cron process enqueues jobs our JSON-only workers can run."""

from pathlib import Path

from rq import Queue, cron
from rq.cron import CronScheduler
from rq.serializers import JSONSerializer

from app.queue import redis_connection
from tests.conftest import PREFIX

CONFIG = str(Path(__file__).resolve().parent.parent / "jobs" / "cron_config.py")


def test_cron_queues_write_json(app_ctx, monkeypatch):
    monkeypatch.setenv("RQ_QUEUE_PREFIX", PREFIX)
    connection = redis_connection()
    scheduler = CronScheduler(connection=connection)
    scheduler.load_config_from_file(CONFIG)
    heartbeat = next(
        job for job in scheduler.get_jobs() if job.func_name.endswith("heartbeat")
    )

    # The queue cron's CronJob.enqueue builds (without touching its registries,
    # whose keys are shared by every deployment on this Redis).
    cron_queue = cron.Queue(heartbeat.queue_name, connection=connection)
    enqueued = cron_queue.enqueue(heartbeat.func, job_id=f"{PREFIX}-cron-check")

    worker_view = Queue(
        heartbeat.queue_name, connection=connection, serializer=JSONSerializer
    )
    job = worker_view.fetch_job(enqueued.id)
    assert heartbeat.queue_name == f"{PREFIX}-low"
    assert job.func_name == "jobs.maintenance.heartbeat"
    assert job.args == []
    job.delete()
