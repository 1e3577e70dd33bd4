"""Errors a service raises for a person to read, tied to a form field."""


class DomainError(Exception):
    """A rule said no. `field` names the form field it concerns (or None) and
    `message` is a translatable string (lazy) for the person."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
