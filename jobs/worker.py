"""The RQ worker LMB runs: `rq worker --worker-class jobs.worker.PreloadingWorker`.

RQ forks a work horse per job. Building the application once in the parent,
before any fork, spares every job the import of the whole app (seconds on a
small machine): the first invitation of a campaign leaves well within two
seconds. The parent opens no database or Redis connection of the app's, so
no connection is shared across a fork; each horse opens its own.
"""

from rq import Worker


class PreloadingWorker(Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        import jobs.campaigns  # noqa: F401 - the job modules, imported once
        import jobs.direct  # noqa: F401
        import jobs.eligibility  # noqa: F401
        import jobs.maintenance  # noqa: F401
        import jobs.outbox  # noqa: F401
        import jobs.reminders  # noqa: F401
        import jobs.retention  # noqa: F401
        from jobs import get_app

        get_app()
