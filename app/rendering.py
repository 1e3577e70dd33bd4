"""One helper that chooses between a full page and its htmx fragment, and
what the templates need besides the language."""

from flask import make_response, render_template, request
from jinja2 import pass_context


def is_htmx_fragment_request():
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-Boosted"
    )


def render(page, fragment=None, status=200, **context):
    """Render `page`, or only `fragment` for an htmx request that targets it.

    Both answers vary on HX-Request, so caches keep them apart.
    """
    template = fragment if fragment and is_htmx_fragment_request() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


@pass_context
def personal_autocomplete(context, token):
    """The autocomplete token of a field about the person filling in the form;
    "off" on staff pages (`staff_page`), where the browser must not offer the
    staff member's own name and address."""
    return "off" if context.get("staff_page") else token


def choice_pairs(choices):
    """A select field's choices as (value, label) pairs for a template loop."""
    return [(choice.value, choice.label) for choice in choices]


def init_app(app):
    app.jinja_env.globals["personal"] = personal_autocomplete
    app.jinja_env.filters["pairs"] = choice_pairs
