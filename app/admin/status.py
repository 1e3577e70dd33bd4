"""The monitoring page: every part's health, for operators and monitors.

No personal data at all: states, counts, ages and latencies. The page polls
itself every 15 seconds with htmx and has a plain refresh link without it.
"""

from app import metrics
from app.admin.views import bp
from app.auth.access import role_required
from app.models import Role
from app.rendering import render

REFRESH_SECONDS = 15


@bp.get("/monitoring")
@role_required(Role.OPERATOR, Role.MONITOR)
def monitoring():
    health = metrics.current_status()

    return render(
        "admin/monitoring.html",
        "admin/_monitoring.html",
        health=health,
        refresh_seconds=REFRESH_SECONDS,
    )
