"""Request figures of several web processes, added up through
PROMETHEUS_MULTIPROC_DIR (as gunicorn with several workers runs them)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

OBSERVE = """
from app import metrics
for seconds in {durations}:
    metrics.REQUEST_SECONDS.labels("GET", "/x", "{status}").observe(seconds)
"""
SUMMARY = """
import json
from app import metrics
print(json.dumps(metrics.request_summary()))
"""


def run(code, folder):
    environ = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_two_processes_are_added_up(tmp_path):
    run(OBSERVE.format(durations=[0.005, 0.005, 0.005], status=200), tmp_path)
    run(OBSERVE.format(durations=[0.5], status=503), tmp_path)

    summary = json.loads(run(SUMMARY, tmp_path).strip().splitlines()[-1])

    assert summary["total"] == 4
    assert summary["server_errors"] == 1
    assert summary["mean_ms"] == round((0.015 + 0.5) / 4 * 1000, 1)  # 128.8
