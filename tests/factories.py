"""Builders of valid test data, computed the way the national register does."""


def make_ssin(yymmdd, serial, born_2000_or_later=False):
    """A valid national number: check = 97 - (first nine digits mod 97),
    with a '2' in front of them for people born in 2000 or later."""
    first = f"{yymmdd}{serial:03d}"
    base = int(("2" if born_2000_or_later else "") + first)
    return f"{first}{97 - base % 97:02d}"
