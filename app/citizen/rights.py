"""A person's rights through the personal link: see every stored field,
download them, correct them. Leaving the list (erasure) is in personal.py.

Pages that show personal data are never stored by browsers or proxies
(Cache-Control: no-store).
"""

import logging

from flask import abort, make_response, redirect, request, url_for

from app import i18n, links, rights_notices
from app.citizen.personal import entry_or_gone
from app.citizen.rights_forms import CorrectionForm
from app.citizen.views import bp, public_form_limit
from app.extensions import db, limiter
from app.rendering import render
from app.services import rights
from app.services.errors import DomainError

logger = logging.getLogger(__name__)


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/me/<token>/data")
def my_data(token):
    entry = entry_or_gone(token)
    data = rights.stored_data(entry)

    return _private(
        render(
            "citizen/my_data.html",
            entry=entry,
            token=token,
            data=data,
            entry_labels=rights.ENTRY_FIELDS,
            person_labels=rights.PERSON_FIELDS,
            value_labels={**rights.VALUE_LABELS, "language": i18n.LANGUAGE_NAMES},
            moment_fields=rights.MOMENT_FIELDS,
            date_fields=rights.DATE_FIELDS,
            notice=request.args.get("done"),
        )
    )


@bp.get("/me/<token>/data.json")
def download_data(token):
    entry = entry_or_gone(token)

    response = make_response(rights.export_json(entry))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = (
        'attachment; filename="reserve-list-my-data.json"'
    )
    logger.info("entry %s downloaded its data", entry.id)
    return _private(response)


@bp.route("/me/<token>/people/<int:person_id>/correct", methods=["GET", "POST"])
@limiter.limit(public_form_limit, methods=["POST"])
def correct_details(token, person_id):
    entry = entry_or_gone(token)
    person = next((p for p in entry.people if p.id == person_id), None)
    if person is None:
        abort(404)
    form = CorrectionForm()
    if request.method == "GET":
        form = CorrectionForm(formdata=None, obj=person, language=entry.language)

    if request.method == "GET" or not form.validate():
        status = 200 if request.method == "GET" else 422
        return _render_correct(form, token, person, status)

    # The old address is warned in the language it was written to until now.
    old_language = entry.language
    try:
        correction = rights.correct_person(
            entry,
            person_id,
            last_name=form.last_name.clean,
            first_name=form.first_name.clean,
            email=form.email.clean,
            mobile=form.mobile.clean,
            language=form.language.data,
        )
    except DomainError as exc:
        form[exc.field].errors.append(exc.message)
        return _render_correct(form, token, person, 422)
    if correction.changed:
        rights_notices.details_corrected(entry, correction)
    if correction.old_email:
        rights_notices.email_replaced(correction.old_email, old_language, entry.id)
    db.session.commit()

    logger.info("entry %s corrected %s", entry.id, ",".join(correction.changed))
    fresh = links.personal_token(entry)
    done = "corrected" if correction.changed else "unchanged"
    return redirect(
        url_for("citizen.my_data", lang=entry.language, token=fresh, done=done), 303
    )


def _render_correct(form, token, person, status):
    return _private(
        render(
            "citizen/correct.html",
            status=status,
            form=form,
            token=token,
            person=person,
        )
    )
