"""Reports: figures over a period, for all centres or one, on screen and CSV.

Operators see every centre and exact counts on screen. Centre staff see
their own centre only (another centre is refused with 403) and, like every
CSV download, counts of 1 to 4 as "<5".
"""

from flask import Response, abort, request
from flask_login import current_user
from sqlalchemy import select

from app.admin import presentation
from app.admin.forms import ReportForm
from app.admin.views import bp
from app.auth.access import require_centre_access, role_required
from app.extensions import db
from app.models import Centre, Role
from app.rendering import render
from app.services import reports

DEFAULT_DAYS = 7


@bp.get("/reports")
@role_required(Role.OPERATOR, Role.CENTRE_STAFF)
def show_reports():
    form, period, centre, error = _read_filters()

    if error:
        return _page(form, None, centre, status=422)

    return _page(
        form, reports.build_report(period, centre.id if centre else None), centre
    )


@bp.get("/reports.csv")
@role_required(Role.OPERATOR, Role.CENTRE_STAFF)
def download_report():
    form, period, centre, error = _read_filters()

    if error:
        return _page(form, None, centre, status=422)

    report = reports.build_report(period, centre.id if centre else None)
    code = centre.code if centre else None
    name = f"lmb-report-{code or 'all'}-{period.first}-{period.last}.csv"
    return Response(
        presentation.csv_text(report, code),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _read_filters():
    """(form, period, centre or None, error) from the query string."""
    form = ReportForm(request.args)
    centre = _chosen_centre(request.args.get("centre"))

    valid = form.validate()
    default = reports.Period.last_days(DEFAULT_DAYS)
    first = form.date_from.data if _given(form.date_from) else default.first
    last = form.date_to.data if _given(form.date_to) else default.last
    error = None if valid else "invalid"
    if valid:
        problem = reports.period_error(first, last)
        if problem:
            form.date_from.errors = [*form.date_from.errors, problem]
            error = "period"
    form.date_from.data, form.date_to.data = first, last
    period = None if error else reports.Period(first, last)
    return form, period, centre, error


def _given(field):
    return bool(field.raw_data and field.raw_data[0].strip())


def _chosen_centre(raw):
    """The centre asked for; centre staff get theirs, and 403 for another."""
    if raw in (None, ""):
        if current_user.role == Role.OPERATOR:
            return None
        centre_id = current_user.centre_id
    else:
        if not str(raw).isdigit():
            abort(404)
        centre_id = int(raw)
    require_centre_access(current_user, centre_id)
    centre = db.session.get(Centre, centre_id)
    if centre is None:
        abort(404)
    return centre


def _page(form, report, centre, status=200):
    exact = current_user.role == Role.OPERATOR
    context = {"form": form, "report": report, "centre": centre, "exact": exact}
    if exact:
        context["centres"] = db.session.scalars(select(Centre).order_by(Centre.name))
    if report is not None:
        context.update(
            summary=presentation.summary_rows(report, exact),
            tables=presentation.tables(report, exact),
            charts=presentation.charts(report, exact),
            csv_args=_csv_args(report, centre),
        )
    return render("admin/reports.html", status=status, **context)


def _csv_args(report, centre):
    args = {
        "from": report.period.first.isoformat(),
        "to": report.period.last.isoformat(),
    }
    if centre is not None:
        args["centre"] = centre.id
    return args
