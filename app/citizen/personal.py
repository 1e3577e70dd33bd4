"""The personal link: see the registration, change or renew it, or leave.

No account: the signed link in the person's e-mail is the key. A link whose
signature, age or version does not match gets the same 404 as any unknown
page, so tokens cannot be probed.
"""

import logging
from datetime import UTC, datetime

from flask import abort, redirect, request, url_for

from app import i18n, links, notices
from app.citizen import calendar
from app.citizen.forms import AvailabilityForm
from app.citizen.views import bp, centre_context, public_form_limits
from app.extensions import db
from app.rendering import render
from app.services import availability, entries

logger = logging.getLogger(__name__)


def entry_or_gone(token):
    """The entry of a valid personal link. Any other token gets the same 404
    page, which tells the person why such a link stops working: whether a
    token was ever valid stays hidden."""
    entry = links.entry_for_personal_token(token)
    if entry is None:
        days = links.PERSONAL_MAX_AGE // (24 * 3600)
        abort(render("citizen/link_gone.html", status=404, days=days))
    return entry


@bp.get("/me/<token>")
def personal_page(token):
    entry = entry_or_gone(token)
    return render(
        "citizen/personal.html",
        entry=entry,
        token=token,
        centres=_centres(entry),
        slots=availability.decode(entry.avail_from_day, entry.avail_bits),
        notice=request.args.get("done"),
    )


@bp.route("/me/<token>/change", methods=["GET", "POST"])
@public_form_limits
def change_availability(token):
    entry = entry_or_gone(token)
    now = datetime.now(UTC)
    # A companion keeps to exactly one day part, as when registering.
    form = AvailabilityForm(now=now, exactly_one=entry.is_companion)
    if request.method == "GET":
        form.centres.data = [c.code for c in _centres(entry)]
        form.availability.data = [
            availability.format_slot(d, p)
            for d, p in availability.decode(entry.avail_from_day, entry.avail_bits)
        ]
    action = request.form.get("calendar_action")
    if request.method == "POST" and action:
        form.availability.data = calendar.apply_action(
            form.availability.data, action, now
        )
    elif request.method == "POST":
        if form.validate():
            entries.change_availability(
                entry, form.availability.clean, form.centres.clean
            )
            db.session.commit()
            logger.info("entry %s changed its availability", entry.id)
            return redirect(
                url_for("citizen.personal_page", token=token, done="changed"), 303
            )
        return _render_change(form, entry, token, now, 422)
    return _render_change(form, entry, token, now)


@bp.post("/me/<token>/renew")
def renew(token):
    entry = entry_or_gone(token)
    slots = entries.renewal_slots(entry)
    if not slots:
        return redirect(url_for("citizen.change_availability", token=token), 303)
    entries.change_availability(entry, slots, entry.centre_ids)
    db.session.commit()
    logger.info("entry %s renewed its availability", entry.id)
    return redirect(url_for("citizen.personal_page", token=token, done="renewed"), 303)


@bp.post("/me/<token>/stay")
def stay(token):
    entry = entry_or_gone(token)
    entries.confirm_stay(entry)
    db.session.commit()
    logger.info("entry %s confirmed it stays on the list", entry.id)
    return redirect(url_for("citizen.personal_page", token=token, done="stay"), 303)


@bp.get("/me/<token>/withdraw")
def withdraw_form(token):
    entry_or_gone(token)
    return render("citizen/withdraw.html", token=token)


@bp.post("/me/<token>/withdraw")
def withdraw(token):
    entry = entry_or_gone(token)
    email, language = entry.responsible.email, entry.language
    entries.withdraw(entry)
    notices.withdrawal_confirmed(email, language)
    db.session.commit()
    return redirect(url_for("citizen.withdrawn"), 303)


@bp.get("/withdrawn")
def withdrawn():
    return render("citizen/withdrawn.html")


@bp.get("/confirm/<token>")
def confirm_update_form(token):
    """Show a button: mail scanners follow links, so a GET changes nothing."""
    submission = links.submission_for_confirm_token(token)
    if submission is None or submission.entry is None:
        abort(404)
    return render(
        "citizen/confirm_update.html",
        token=token,
        applied=bool(submission.applied_at),
        proposed=entries.proposed_update(submission),
        language_names=i18n.LANGUAGE_NAMES,
    )


@bp.post("/confirm/<token>")
def confirm_update(token):
    submission = links.submission_for_confirm_token(token)
    if submission is None or submission.entry is None:
        abort(404)
    entry = entries.apply_update(submission)
    if entry is None:
        abort(404)
    # The update retired every link sent so far: send the new one, to the
    # address now registered.
    notices.confirmation_again(entry)
    db.session.commit()
    logger.info("entry %s updated after confirmation", entry.id)
    # The update bumped the link version: send the person to a fresh link.
    fresh = links.personal_token(entry)
    return redirect(
        url_for(
            "citizen.personal_page", lang=entry.language, token=fresh, done="updated"
        ),
        303,
    )


def _centres(entry):
    return sorted((link.centre for link in entry.centres), key=lambda c: c.name)


def _render_change(form, entry, token, now, status=200):
    return render(
        "citizen/change.html",
        status=status,
        form=form,
        token=token,
        calendar=calendar.build(form.availability.data or [], now),
        **centre_context(form, entry.postcode),
    )
