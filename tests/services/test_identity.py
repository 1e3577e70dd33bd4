"""National numbers, names, e-mail and mobile numbers as people type them."""

from datetime import date

import pytest

from app.services import identity
from app.services.errors import DomainError
from tests.factories import make_ssin


def test_make_ssin_matches_a_published_example():
    # The example number of the python-stdnum documentation.
    assert make_ssin("850730", 33) == "85073003328"


@pytest.mark.parametrize(
    "typed",
    [
        "85.07.30-033.28",
        "85073003328",
        "85 07 30 033 28",
        " 850730-033-28 ",
        "85/07/30.033.28",
    ],
)
def test_any_common_spelling_of_a_national_number(typed):
    assert identity.normalise_ssin(typed) == "85073003328"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("98.47.28-997.65", "98472899765"),  # BIS number, month + 40
        ("01 49 07 001 85", "01490700185"),  # BIS, born in 2001
        (make_ssin("050315", 123, born_2000_or_later=True), None),  # born 2005
        (make_ssin("850700", 33), None),  # day unknown
        (make_ssin("850000", 33), None),  # month and day unknown
    ],
)
def test_bis_numbers_recent_births_and_unknown_dates_are_valid(number, expected):
    assert identity.normalise_ssin(number) == (expected or number)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the national number."),
        ("8507300332", "A national number has 11 digits"),
        ("850730033289", "A national number has 11 digits"),
        ("85O73003328", "A national number has 11 digits"),
        ("85073003329", "This national number is not valid"),  # wrong check
        ("85133003328", "This national number is not valid"),  # month 13
    ],
)
def test_wrong_national_numbers_are_refused_for_their_field(typed, message):
    with pytest.raises(DomainError) as info:
        identity.normalise_ssin(typed)

    assert info.value.field == "ssin"
    assert str(info.value.message).startswith(message)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("85073003328", date(1985, 7, 30)),
        (make_ssin("850700", 33), date(1985, 7, 1)),  # unknown day: 1st of month
        (make_ssin("850000", 33), date(1985, 1, 1)),  # unknown month: 1 January
        ("98472899765", date(1998, 7, 28)),  # BIS
        (make_ssin("050315", 123, born_2000_or_later=True), date(2005, 3, 15)),
        (make_ssin("160101", 1), date(1916, 1, 1)),  # aged 110 on the day
        (make_ssin("151231", 1), date(1915, 12, 31)),  # 110, birthday ahead
        (make_ssin("151202", 1), None),  # 111 since yesterday: held
        (make_ssin("000001", 1), None),  # birth date entirely unknown
    ],
)
def test_birth_date_for_ranking(number, expected):
    assert identity.ranking_birth_date(number, date(2026, 12, 3)) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "0470 12 34 56",
        "+32 470 123456",
        "0032470123456",
        "0470/12.34.56",
        "+32470123456",
    ],
)
def test_belgian_mobile_numbers_in_any_usual_form(typed):
    assert identity.normalise_mobile(typed) == "+32470123456"


@pytest.mark.parametrize(
    "typed", ["", "02 123 45 67", "0470 12 34 5", "+31 6 12345678", "phone", "0" * 40]
)
def test_landlines_foreign_and_malformed_numbers_are_refused(typed):
    with pytest.raises(DomainError) as info:
        identity.normalise_mobile(typed)

    assert info.value.field == "mobile"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("jan.peeters@example.be", "jan.peeters@example.be"),
        ("  Marie@Example.BE ", "Marie@example.be"),
        ("élodie@exemple.be", "élodie@exemple.be"),
    ],
)
def test_email_addresses_are_normalised(typed, expected):
    assert identity.normalise_email(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", "jan", "jan@", "@example.be", "a@b", "x" * 250 + "@e.be"]
)
def test_bad_email_addresses_are_refused(typed):
    with pytest.raises(DomainError) as info:
        identity.normalise_email(typed)

    assert info.value.field == "email"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  Van  den Broeck ", "Van den Broeck"),
        ("D'Hondt", "D'Hondt"),
        ("Müller-Lüdenscheidt", "Müller-Lüdenscheidt"),
        ("O’Brien", "O’Brien"),
        ("J. Peeters", "J. Peeters"),
    ],
)
def test_names_keep_their_spelling(typed, expected):
    assert identity.normalise_name(typed, "last_name") == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "x" * 101,
        "<b>",
        "123",
        "Jan2",
        "Jan\x00",
        "'; DROP TABLE person;--",
        "Jan (Piet)",
    ],
)
def test_bad_names_are_refused(typed):
    with pytest.raises(DomainError):
        identity.normalise_name(typed, "first_name")


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("last_name", "", "Enter the last name."),
        ("first_name", "  ", "Enter the first name."),
        ("last_name", "a" * 101, "The last name can have at most 100 characters."),
        ("first_name", "é" * 101, "The first name can have at most 100 characters."),
        (
            "last_name",
            "<b>",
            "Write the last name with letters, spaces, hyphens and apostrophes.",
        ),
        (
            "first_name",
            "12",
            "Write the first name with letters, spaces, hyphens and apostrophes.",
        ),
    ],
)
def test_name_errors_say_which_name(field, typed, message):
    """Both names' errors stand together in the error summary."""
    with pytest.raises(DomainError) as info:
        identity.normalise_name(typed, field)

    assert info.value.field == field
    assert str(info.value.message) == message


def test_a_name_of_exactly_100_characters_is_kept():
    assert identity.normalise_name("a" * 100, "last_name") == "a" * 100
