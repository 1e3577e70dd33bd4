"""The public figures page: how the reserve list is doing, in round totals.

Figures are computed at most once an hour (cached in Redis) and contain no
personal data; counts of 1 to 4 read "<5".
"""

from app import metrics
from app.public.views import LANG, bp
from app.rendering import render
from app.services.reports import shown


@bp.get(LANG + "/figures")
def show_figures():
    figures = metrics.public_figures()

    return render(
        "public/figures.html",
        figures=figures,
        values={
            "people_on_list": shown(figures.people_on_list),
            "invitations_sent": shown(figures.invitations_sent),
            "doses_booked": shown(figures.doses_booked),
            "centres_taking_part": shown(figures.centres_taking_part),
        },
    )
