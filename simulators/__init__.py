"""Simulators of the external services LMB talks to, for development and tests.

Each simulator is a small Flask app run as its own process
(``python -m simulators.<name> --host 127.0.0.1 --port N``) that speaks real
HTTP. This package holds what they share: `serve()`, which runs an app on the
development server with an access log that never shows personal data, and
`redact()`, which that log uses. `simulators.testing` starts a simulator as a
subprocess for tests.
"""

import logging
import re
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, run_simple

# Anything that looks like a national number (11 digits, maybe with separators)
# or another long run of digits.
_DIGIT_RUN = re.compile(r"\d(?:[ .\-/]?\d){5,}")


def redact(text):
    """`text` with every run of six or more digits replaced by ``[redacted]``."""
    return _DIGIT_RUN.sub("[redacted]", str(text))


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler with a log line that carries no personal data.

    The access line keeps the method, the path without its query string and
    the status; error lines are passed through `redact()`.
    """

    def log_request(self, code="-", size="-"):
        path = redact(urlsplit(getattr(self, "path", "")).path)
        self.log("info", '"%s %s" %s', getattr(self, "command", "-"), path, code)

    def log_error(self, fmt, *args):
        self.log("error", "%s", redact(fmt % args if args else fmt))


def serve(app, host, port):
    """Run `app` on `host`:`port` with threads and the quiet access log."""
    logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
    run_simple(
        host,
        port,
        app,
        threaded=True,
        use_reloader=False,
        request_handler=QuietRequestHandler,
    )
