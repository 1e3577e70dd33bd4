"""Centre staff: campaigns, the live screen, open moments."""

from flask import Blueprint

bp = Blueprint("centre", __name__, url_prefix="/centre")


from app.centre import moments  # noqa: E402,F401 - registers its routes on bp
