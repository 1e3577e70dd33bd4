"""Development-only pages (registered only when DEV_PAGES is on)."""

from flask import Blueprint

bp = Blueprint("dev", __name__, url_prefix="/dev")
