"""Which language a request is served in, and the helpers templates use for it.

Public pages live under /nl/, /fr/ and /de/; the language in the URL wins.
Pages without one (staff pages, /) follow the `lang` cookie that
/staff/language/<code> sets, else the browser's Accept-Language, falling back
to Dutch.
"""

from flask import current_app, g, request, url_for
from flask_babel import lazy_gettext as _l

from app.formats import format_day, format_full_date, format_moment, slot_lines

LANG_COOKIE = "lang"
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "de": "Deutsch"}

# Language names in their own language, with the label that tells screen
# readers what the link does, in the page's language.
SWITCH_LABELS = {
    "nl": _l("This page in Dutch"),
    "fr": _l("This page in French"),
    "de": _l("This page in German"),
}


def languages():
    return current_app.config["LANGUAGES"]


def browser_language():
    return request.accept_languages.best_match(languages()) or languages()[0]


def select_locale():
    """Flask-Babel's locale selector."""
    lang = getattr(g, "lang", None)
    if lang in languages():
        return lang
    if request:
        # Pages without a route (404) still speak the language of their path.
        first = request.path.strip("/").split("/", 1)[0]
        if first in languages():
            return first
        # Staff pages: the language chosen with /staff/language/<code>.
        chosen = request.cookies.get(LANG_COOKIE)
        return chosen if chosen in languages() else browser_language()
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def pull_lang(endpoint, values):
    """URL value preprocessor: move `lang` from the URL into `g`."""
    if values is not None:
        g.lang = values.pop("lang", None)


def push_lang(endpoint, values):
    """URL defaults: keep the current language on links built with url_for."""
    if "lang" in values or not getattr(g, "lang", None):
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = g.lang


def language_links():
    """The same page in each language, for the language switch."""
    links = []
    endpoint = request.endpoint
    args = dict(request.view_args or {})
    for code in languages():
        if endpoint and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
            href = url_for(endpoint, lang=code, **args)
            if request.query_string and request.method == "GET":
                href += "?" + request.query_string.decode("latin-1")
        elif endpoint:
            # A staff page: switch through the language cookie and come back.
            back = request.full_path.rstrip("?")
            href = url_for("auth.set_language", code=code, next=back)
        else:
            href = url_for("public.index", lang=code)
        links.append(
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "href": href,
                "current": code == select_locale(),
                "label": SWITCH_LABELS[code],
            }
        )
    return links


def init_app(app):
    app.jinja_env.globals["language_links"] = language_links
    app.jinja_env.globals["current_language"] = select_locale
    app.jinja_env.filters["format_day"] = format_day
    app.jinja_env.filters["full_date"] = format_full_date
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["slot_lines"] = slot_lines


# The shared registration partials (centres, calendar) speak to the person
# registering themselves; on pages where someone registers another person
# (doctors, agents, third parties) `g.who` is this value and they speak of
# "the person". Their htmx fragments carry it as ?who=other.
FOR_SOMEONE_ELSE = "other"


def speak_of_someone_else_if_asked():
    if request.args.get("who") == FOR_SOMEONE_ELSE:
        g.who = FOR_SOMEONE_ELSE
