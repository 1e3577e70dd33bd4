"""The audit trail page: who read or changed which entry, and when."""

from flask import request

from app.admin import audit_labels
from app.admin.forms import AuditForm
from app.admin.views import bp
from app.auth.access import role_required
from app.models import Role
from app.rendering import render
from app.services import reports

LABELS = {
    "action_labels": audit_labels.ACTIONS,
    "role_labels": audit_labels.ROLES,
    "detail_words": audit_labels.detail_words,
}


@bp.get("/audit")
@role_required(Role.OPERATOR)
def audit_trail():
    form = AuditForm(request.args)
    page = request.args.get("page", "1")

    if not form.validate():
        return render("admin/audit.html", form=form, result=None, status=422, **LABELS)

    result = reports.audit_events(
        entry_id=form.entry.data,
        actor=form.actor.data,
        first=form.date_from.data,
        last=form.date_to.data,
        page=int(page) if page.isdigit() else 1,
    )
    return render(
        "admin/audit.html",
        form=form,
        result=result,
        filters=_filters(form),
        **LABELS,
    )


def _filters(form):
    """The query string of the current filters, for the page links."""
    values = {
        "entry": form.entry.data,
        "actor": form.actor.data,
        "from": form.date_from.data.isoformat() if form.date_from.data else None,
        "to": form.date_to.data.isoformat() if form.date_to.data else None,
    }
    return {key: value for key, value in values.items() if value not in (None, "")}
