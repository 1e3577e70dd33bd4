"""Operators: centres, users, reports and monitoring."""

from flask import Blueprint
from flask_login import current_user

from app.auth.access import role_required
from app.models import Role
from app.rendering import render

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@role_required(Role.OPERATOR, Role.MONITOR)
def index():
    return render("admin/index.html", is_operator=current_user.role == Role.OPERATOR)


# The pages of each area register themselves on `bp`.
from app.admin import audit, reporting, status  # noqa: E402, F401
