"""Run a simulator as a real subprocess, for tests.

Any module that runs as ``python -m MODULE --host HOST --port PORT [ARGS...]``
works: the VCDB, SMS and booking system simulators, or the SMTP sink (which has
no health URL: pass ``health_path=None`` to wait for its port to accept
connections instead).

    with running_simulator("simulators.vcdb", "--today", "2021-04-11") as url:
        requests.post(url + "/_sim/config", json={"outage": True})

or, to keep one for a whole test module and read its output::

    simulator = SimulatorProcess("simulators.vcdb")
    url = simulator.start()
    ...
    simulator.stop()

The process gets a free port, the interpreter running the tests, and the
project root on PYTHONPATH; `start()` returns once the health URL answers 200,
and raises `SimulatorStartError` with the end of the process's output if it
never does.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_ATTEMPTS = 3
# Readiness checks go straight to the local port, whatever proxy is configured.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SimulatorStartError(RuntimeError):
    """The simulator exited or did not answer in time."""


def free_port(host="127.0.0.1"):
    """A TCP port on `host` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class SimulatorProcess:
    """One simulator subprocess: `start()` returns its base URL, `stop()` ends it.

    `args` are extra command-line arguments; `env` adds to (or, with None
    values, removes from) the inherited environment; `port` is chosen free
    unless given; `timeout` bounds the wait for readiness, in seconds.
    """

    def __init__(
        self,
        module,
        *args,
        health_path="/_sim/health",
        host="127.0.0.1",
        port=None,
        env=None,
        timeout=15.0,
    ):
        self.module = module
        self.args = [str(arg) for arg in args]
        self.health_path = health_path
        self.host = host
        self.fixed_port = port
        self.env = env or {}
        self.timeout = timeout
        self.port = None
        self.process = None
        self._log = None

    @property
    def url(self):
        """The base URL, e.g. ``http://127.0.0.1:40123`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    def start(self):
        """Start the process and wait until it answers; return the base URL."""
        if self.process is not None:
            raise RuntimeError(f"{self.module} is already running")
        attempts = 1 if self.fixed_port else START_ATTEMPTS
        for attempt in range(1, attempts + 1):
            self._spawn()
            if self._wait_until_ready():
                return self.url
            output = self.output()
            self.stop()
            # Another process may have taken the free port in between: retry.
            if attempt == attempts or "in use" not in output:
                raise SimulatorStartError(
                    f"{self.module} did not start on port {self.port}:\n"
                    f"{output[-2000:]}"
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self):
        """End the process (SIGTERM, then SIGKILL after 5 s) and drop its log."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self):
        """Everything the process wrote to stdout and stderr so far."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", errors="replace")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def _spawn(self):
        self.port = self.fixed_port or free_port(self.host)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            part for part in (str(ROOT), env.get("PYTHONPATH")) if part
        )
        env["PYTHONUNBUFFERED"] = "1"
        for name, value in self.env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = str(value)
        self._log = tempfile.TemporaryFile()
        command = [sys.executable, "-m", self.module]
        command += ["--host", self.host, "--port", str(self.port), *self.args]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def _wait_until_ready(self):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if self._answers():
                return True
            time.sleep(0.05)
        return False

    def _answers(self):
        if self.health_path is None:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return True
            except OSError:
                return False
        try:
            with _DIRECT.open(self.url + self.health_path, timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False


@contextmanager
def running_simulator(module, *args, **options):
    """Run `module` for the duration of a ``with`` block; yield its base URL.

    Takes the arguments of `SimulatorProcess`.
    """
    simulator = SimulatorProcess(module, *args, **options)
    simulator.start()
    try:
        yield simulator.url
    finally:
        simulator.stop()
