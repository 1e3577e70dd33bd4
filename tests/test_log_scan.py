"""The search for personal data in the test run's logs finds what it should."""

from tests import log_scan


def test_it_finds_national_numbers_phones_and_citizen_addresses():
    text = "\n".join(
        [
            "entry 12 registered",  # ids only: fine
            "check of 85.07.30-033.28 failed",  # a valid national number
            "call +32470123456 now",
            "sent to maria.peeters@example.be",
            "sent as noreply@lmb.example.be to account 3",  # the service itself
            "request took 85073003329 ns",  # 11 digits that fail the check
        ]
    )

    kinds = [(line, kind) for line, kind, _ in log_scan.findings(text)]

    assert kinds == [
        (2, "national number"),
        (3, "mobile number"),
        (4, "e-mail address"),
    ]
