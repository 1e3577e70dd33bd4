"""Centre staff: campaigns, the live screen, open moments."""

from flask import Blueprint

bp = Blueprint("centre", __name__, url_prefix="/centre")
