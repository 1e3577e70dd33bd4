"""The privacy page: which personal data the reserve list keeps, why, and
for how long (the retention settings give the numbers)."""

from flask import current_app

from app.public.views import LANG, bp
from app.rendering import render


@bp.get(LANG + "/privacy")
def privacy():
    return render(
        "public/privacy.html",
        after_booking_days=current_app.config["RETENTION_AFTER_BOOKING_DAYS"],
        after_lapse_days=current_app.config["RETENTION_AFTER_LAPSE_DAYS"],
    )
