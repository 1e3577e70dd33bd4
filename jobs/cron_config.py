"""Periodic jobs, loaded by `rq cron jobs/cron_config.py`.

Queue names carry the deployment's RQ_QUEUE_PREFIX, read from the environment
like every other setting.
"""

import functools

from rq import Queue, cron
from rq.serializers import JSONSerializer

import config
from jobs import (
    campaigns,
    direct,
    eligibility,
    maintenance,
    outbox,
    reminders,
    retention,
)

PREFIX = config.read_settings()["RQ_QUEUE_PREFIX"]

# Limitation: RQ 2.12's cron builds its queues without a serializer, so it would
# pickle the jobs it enqueues and our workers, which read JSON only, could not
# run them. Its module-level Queue is swapped here, in the cron process only.
cron.Queue = functools.partial(Queue, serializer=JSONSerializer)

cron.register(maintenance.heartbeat, f"{PREFIX}-low", interval=60)
cron.register(eligibility.sweep, f"{PREFIX}-default", interval=60)
cron.register(reminders.send_reminders, f"{PREFIX}-low", interval=3600)
cron.register(outbox.sweep, f"{PREFIX}-high", interval=30)
cron.register(retention.purge, f"{PREFIX}-low", interval=3600, job_timeout=1800)
cron.register(direct.sweep, f"{PREFIX}-default", interval=60)
# Campaigns: ended ones closed, late messages withdrawn, lost checks and waves.
cron.register(campaigns.sweep, f"{PREFIX}-high", interval=60)
