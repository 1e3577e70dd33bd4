"""One helper that chooses between a full page and its htmx fragment."""

from flask import make_response, render_template, request


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
