"""Doctor pages: register a patient, the list of one's patients, one patient.

Every view is for doctors only, and a doctor only ever sees the entries they
registered: another entry's id answers 404, like one that does not exist.
A doctor account without an RIZIV/INAMI number is an unknown doctor: it may
log in but registers nobody (403 with the reason).
"""

import logging
from datetime import UTC, datetime

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from app import i18n, security
from app.auth.access import role_required
from app.doctor import on_behalf
from app.doctor.forms import PatientForm, RecipientForm
from app.extensions import db
from app.models import Role
from app.rendering import render
from app.services import availability, doctors
from app.services.doctors import UnknownDoctor

logger = logging.getLogger(__name__)

bp = Blueprint("doctor", __name__, url_prefix="/doctor")

# The notices a redirect may ask the next page to show.
NOTICES = ("registered", "recipient")


def _now():
    return datetime.now(UTC)


def _notice():
    notice = request.args.get("done")
    return notice if notice in NOTICES else None


def _refused(error):
    return render("doctor/refused.html", status=403, message=error.message)


@bp.get("/")
@role_required(Role.DOCTOR)
def index():
    try:
        doctors.known_doctor(current_user.id)
    except UnknownDoctor as error:
        return _refused(error)
    asked = request.args.get("page", "1")
    page_number = int(asked) if asked.isdigit() and 0 < len(asked) < 6 else 1

    patients, has_more = doctors.patients_of(current_user, page_number)
    response = render(
        "doctor/index.html",
        patients=patients,
        page_number=page_number,
        has_more=has_more,
        outcome=doctors.eligibility_outcome,
        notice=_notice(),
    )
    db.session.commit()  # the audit rows of the entries shown
    return response


@bp.get("/patients/new")
@role_required(Role.DOCTOR)
def new_patient():
    try:
        doctors.known_doctor(current_user.id)
    except UnknownDoctor as error:
        return _refused(error)
    now = _now()
    form = PatientForm(formdata=None, now=now)
    form.language.data = i18n.select_locale()
    form.recipient.data = doctors.PATIENT
    return _render_form(form, now)


@bp.post("/patients/new")
@role_required(Role.DOCTOR)
def register_patient():
    now = _now()
    form = PatientForm(now=now)
    if on_behalf.apply_convenience(form, now):
        return _render_form(form, now)

    if not form.validate():
        return _render_form(form, now, 422)
    security.limit_national_numbers([form.ssin.clean])
    try:
        submission = doctors.register_patient(
            current_user.id, form.registration_data(), form.recipient.data, now
        )
    except UnknownDoctor as error:
        db.session.rollback()
        return _refused(error)
    db.session.commit()
    from jobs.eligibility import start_check

    start_check(submission.entry_id)
    return redirect(url_for("doctor.index", done="registered"), 303)


@bp.get("/patients/<int:entry_id>")
@role_required(Role.DOCTOR)
def patient(entry_id):
    form = RecipientForm(formdata=None)
    return _show_patient(entry_id, form)


@bp.post("/patients/<int:entry_id>/recipient")
@role_required(Role.DOCTOR)
def change_recipient(entry_id):
    form = RecipientForm()

    if not form.validate():
        return _show_patient(entry_id, form, 422)
    try:
        entry = doctors.change_recipient(current_user, entry_id, form.recipient.data)
    except UnknownDoctor as error:
        db.session.rollback()
        return _refused(error)
    if entry is None:
        abort(404)
    db.session.commit()
    return redirect(url_for("doctor.patient", entry_id=entry_id, done="recipient"), 303)


def _show_patient(entry_id, form, status=200):
    entry = doctors.patient_entry(current_user, entry_id)
    if entry is None:
        abort(404)
    if form.recipient.data is None:
        form.recipient.data = entry.recipient
    response = render(
        "doctor/patient.html",
        status=status,
        entry=entry,
        form=form,
        outcome=doctors.eligibility_outcome(entry),
        slots=availability.decode(entry.avail_from_day, entry.avail_bits),
        centres=sorted((link.centre for link in entry.centres), key=lambda c: c.name),
        notice=_notice(),
    )
    db.session.commit()  # the audit row of this read
    return response


def _render_form(form, now, status=200):
    return render(
        "doctor/new_patient.html", status=status, **on_behalf.form_context(form, now)
    )
