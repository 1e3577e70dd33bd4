"""The database tables. Each module holds the models of one area."""

from app.models.centre import Centre, CentrePostcode, PostcodeArea

__all__ = ["Centre", "CentrePostcode", "PostcodeArea"]
