"""Development-only pages (registered only when DEV_PAGES is on).

/dev/mail shows what the development SMTP sink (simulators.smtp_sink, folder
MAILDIR) received, newest first; /dev/mail/<id> shows one message. A small
form queues a test e-mail through the outbox. Only operators see them.
"""

import re

from flask import Blueprint, abort, current_app, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import EmailField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length

from app.adapters import mailbox_reader
from app.auth.access import role_required
from app.extensions import db
from app.i18n import LANGUAGE_NAMES
from app.models import Role
from app.rendering import render
from app.services import outbox

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
@role_required(Role.OPERATOR)
def operators_only():
    """The e-mails shown here carry names and personal links: even in
    development, only a logged-in operator sees them."""


URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")
SHOWN_HEADERS = ("Date", "From", "To", "Subject", "Message-ID", "Content-Language")


class TestMailForm(FlaskForm):
    to = EmailField(
        _l("Send a test e-mail to"),
        validators=[
            InputRequired(_l("Enter an e-mail address.")),
            Email(_l("Enter an e-mail address.")),
            Length(max=254, message=_l("Enter an e-mail address.")),
        ],
    )
    language = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
    )


@bp.get("/mail")
def list_mail():
    return _mail_page(TestMailForm())


@bp.post("/mail")
def send_test_mail():
    form = TestMailForm()

    if not form.validate_on_submit():
        return _mail_page(form, status=422)

    outbox.queue_email(
        to=form.to.data,
        language=form.language.data,
        purpose="test",
        template="test_message",
        context={},
        subject=_l("Test message from the vaccination reserve list"),
    )
    db.session.commit()

    return redirect(url_for("dev.list_mail"), code=303)


@bp.get("/mail/<message_id>")
def show_mail(message_id):
    message = mailbox_reader.get_message(current_app.config["MAILDIR"], message_id)
    if message is None:
        abort(404)

    text = message.get_body(preferencelist=("plain",))
    return render(
        "dev/mail_message.html",
        message_id=message_id,
        received_at=mailbox_reader.received_at(message_id),
        subject=message["Subject"],
        headers=[(name, message[name]) for name in SHOWN_HEADERS if message[name]],
        all_headers=list(message.items()),
        body=linkify(text.get_content()) if text is not None else None,
    )


def _mail_page(form, status=200):
    found = mailbox_reader.list_messages(
        current_app.config["MAILDIR"], newest_first=True
    )
    messages = [
        {
            "id": message_id,
            "received_at": mailbox_reader.received_at(message_id),
            "subject": message["Subject"],
            "to": message["To"],
        }
        for message_id, message in found
    ]
    return render("dev/mail.html", status=status, messages=messages, form=form)


def linkify(text):
    """`text` escaped, with its http(s) links made clickable."""
    parts = []
    last = 0
    for match in URL.finditer(text):
        url = escape(match.group(0))
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup('<a href="%s" rel="noreferrer">%s</a>') % (url, url))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)
