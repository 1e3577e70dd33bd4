"""Operators: centres, users, reports and monitoring."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
