"""Every log line of the test run, kept and searched for personal data.

A handler on the root logger writes each record, fully formatted, to
test-artifacts/test-run.log. When the run ends, the file is searched for
anything that looks like a person's data: a valid Belgian national number
(11 digits that pass the check), a Belgian mobile number, or an e-mail
address of a citizen (the test suites use example.be, example.com,
exemple.be and beispiel.be addresses for people). A hit fails the run.
"""

import logging
import re
from pathlib import Path

from stdnum.be import ssn

LOG_PATH = Path(__file__).resolve().parent.parent / "test-artifacts" / "test-run.log"

ELEVEN_DIGITS = re.compile(
    r"(?<![\d.])(\d{2}[.\- ]?\d{2}[.\- ]?\d{2}[.\- ]?\d{3}[.\- ]?\d{2})(?![\d])"
)
MOBILE = re.compile(r"(?:\+32|0032|\b0)\s?4\d{2}(?:[\s./]?\d{2}){3}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.(?:[\w-]+\.)*\w+")
# Addresses that are not people's: the service's own sender and the staff
# accounts of the tests (log-in names are account ids in the logs anyway).
NOT_PEOPLE = re.compile(r"@(?:lmb\.example\.be|lmb\.test)\b")


class _Writer(logging.Handler):
    def __init__(self, stream):
        super().__init__(level=logging.DEBUG)
        self.stream = stream
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record):
        try:
            self.stream.write(self.format(record) + "\n")
        except Exception:  # a log line that cannot be formatted is not ours to judge
            self.handleError(record)


def install():
    LOG_PATH.parent.mkdir(exist_ok=True)
    stream = LOG_PATH.open("w", encoding="utf-8")
    handler = _Writer(stream)
    logging.getLogger().addHandler(handler)
    return handler


def findings(text):
    """Lines of `text` holding what looks like a person's data."""
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in ELEVEN_DIGITS.finditer(line):
            digits = re.sub(r"\D", "", match.group(1))
            if ssn.is_valid(digits):
                hits.append((number, "national number", line))
        if MOBILE.search(line):
            hits.append((number, "mobile number", line))
        for match in EMAIL.finditer(line):
            if not NOT_PEOPLE.search(match.group(0)):
                hits.append((number, "e-mail address", line))
    return hits
