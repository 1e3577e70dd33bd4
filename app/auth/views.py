"""Staff log-in and log-out."""

from flask import Blueprint

from app.extensions import db, login_manager
from app.models import StaffUser

bp = Blueprint("auth", __name__, url_prefix="/staff")


@login_manager.user_loader
def load_user(user_id):
    if not str(user_id).isdigit():
        return None
    return db.session.get(StaffUser, int(user_id))
