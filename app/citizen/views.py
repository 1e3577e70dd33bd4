"""Citizen pages: registration, its status, and the personal link."""

from flask import Blueprint

from app import i18n

bp = Blueprint("citizen", __name__, url_prefix="/<any(nl, fr, de):lang>")
bp.url_value_preprocessor(i18n.pull_lang)
bp.url_defaults(i18n.push_lang)
