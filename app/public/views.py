"""Public pages: the landing page, information, and the centre finder."""

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _

from app import i18n
from app.public.help_lines import HELP_LINES
from app.rendering import render
from app.services import centres as centre_service

bp = Blueprint("public", __name__)
bp.url_value_preprocessor(i18n.pull_lang)
bp.url_defaults(i18n.push_lang)

LANG = "/<any(nl, fr, de):lang>"


@bp.get("/")
def choose_language():
    """Send visitors to their browser's language, Dutch by default."""
    return redirect(url_for("public.index", lang=i18n.browser_language()), 302)


@bp.get(LANG + "/")
def index():
    return render("public/index.html")


@bp.get(LANG + "/info")
def info():
    return render("public/info.html", help_lines=HELP_LINES)


@bp.get(LANG + "/centres")
def find_centres():
    raw = request.args.get("postcode")
    result = centre_service_lookup(raw)

    return render("public/centres.html", "public/_centre_results.html", **result)


def centre_service_lookup(raw):
    """The finder's context: what was typed, an error, or the areas and centres."""
    if raw is None:
        return {"postcode": "", "error": None, "areas": [], "centres": None}
    postcode = centre_service.normalise_postcode(raw)
    if postcode is None:
        error = _("Enter a Belgian postcode of 4 digits, for example 9000.")
        return {"postcode": raw[:20], "error": error, "areas": [], "centres": None}
    areas = centre_service.postcode_areas(postcode)
    if not areas:
        error = _(
            "We do not know the postcode %(postcode)s in Belgium.", postcode=postcode
        )
        return {"postcode": postcode, "error": error, "areas": [], "centres": None}
    found = centre_service.centres_for_postcode(postcode)
    return {"postcode": postcode, "error": None, "areas": areas, "centres": found}


# Pages in modules of their own register themselves on `bp`.
from app.public import (  # noqa: E402
    figures,  # noqa: F401
    privacy,  # noqa: F401
)
