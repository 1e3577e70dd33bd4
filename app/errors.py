"""Error pages in the visitor's language, without details of what went wrong."""

import logging

from flask import render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)

TITLES = {
    400: _l("We could not understand this request"),
    403: _l("No access"),
    404: _l("This page does not exist"),
    405: _l("We could not understand this request"),
    413: _l("This request is too large"),
    429: _l("Please wait a few minutes"),
    500: _l("Something went wrong"),
    503: _l("The service is briefly unavailable"),
}
EXPLANATIONS = {
    400: _l("Go back and try again."),
    403: _l("You do not have access to this page."),
    404: _l("Check the address, or start again from the home page."),
    405: _l("Go back and try again."),
    413: _l("Go back and try again with less data."),
    429: _l(
        "You have sent this form too often in a short time. Please wait a few "
        "minutes and try again."
    ),
    500: _l(
        "We have noted the problem. Please try again later; what you saved "
        "before has not been lost."
    ),
    503: _l("Please try again in a few minutes."),
}


def render_error(code):
    code = code if code in TITLES else 500
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=TITLES[code],
            explanation=EXPLANATIONS[code],
        ),
        code,
    )


def register_error_handlers(app):
    @app.errorhandler(HTTPException)
    def http_error(exc):
        response = render_error(exc.code)
        if exc.code == 405 and exc.valid_methods:
            return response[0], 405, {"Allow": ", ".join(exc.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc):
        # The traceback goes to the log; it never reaches the page.
        logger.exception("unhandled error")
        return render_error(500)
