"""gunicorn settings for LMB: `gunicorn -c config/gunicorn.py wsgi:app`.

With PROMETHEUS_MULTIPROC_DIR set, each worker writes its request figures to
that folder; a worker that exits must be marked dead so its live gauges stop
counting.
"""

import os


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
