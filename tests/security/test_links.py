"""Links in messages are signed for one purpose, expire, and die with the
registration."""

import re
from unittest import mock

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from app import links
from app.extensions import db
from app.models import Submission
from jobs import eligibility as eligibility_jobs
from tests.citizen.test_registration import form
from tests.security.conftest import register_and_check

DAY = 24 * 3600


def signed(purpose, payload, app):
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=purpose).dumps(payload)


def an_update(client, entry):
    """A second registration of the same number: an update to confirm."""
    client.post("/nl/register", data=form(email="nieuw@example.be"))
    eligibility_jobs.check_entry(entry.id)
    return db.session.scalars(
        select(Submission).where(Submission.is_update.is_(True))
    ).one()


def test_each_purpose_has_its_own_salt():
    assert links.PERSONAL != links.CONFIRM_UPDATE


def test_a_token_of_one_purpose_is_refused_by_the_other(client, app_ctx, vcdb):
    entry = register_and_check(client)
    submission = an_update(client, entry)
    # Right payload shapes, signed under the other purpose.
    personal_shaped = signed(
        links.CONFIRM_UPDATE, {"e": entry.id, "v": entry.link_version}, app_ctx
    )
    confirm_shaped = signed(links.PERSONAL, {"s": submission.id}, app_ctx)

    assert links.entry_for_personal_token(links.personal_token(entry)) == entry
    assert links.submission_for_confirm_token(links.confirm_token(submission)) == (
        submission
    )
    assert links.entry_for_personal_token(personal_shaped) is None
    assert links.submission_for_confirm_token(confirm_shaped) is None
    assert client.get(f"/nl/me/{personal_shaped}").status_code == 404
    assert client.get(f"/nl/confirm/{confirm_shaped}").status_code == 404
    assert client.post(f"/nl/confirm/{confirm_shaped}").status_code == 404
    # Each real token is refused where the other belongs.
    assert client.get(f"/nl/confirm/{links.personal_token(entry)}").status_code == 404
    assert client.get(f"/nl/me/{links.confirm_token(submission)}").status_code == 404


def made_at(seconds_ago, make):
    """A token signed `seconds_ago` (itsdangerous reads time.time())."""
    import time

    with mock.patch(
        "itsdangerous.timed.time.time", return_value=time.time() - seconds_ago
    ):
        return make()


@pytest.mark.parametrize(
    ("age", "accepted"),
    [(29 * DAY, True), (30 * DAY - 60, True), (30 * DAY + 60, False)],
)
def test_a_personal_link_expires_after_30_days(client, app_ctx, vcdb, age, accepted):
    entry = register_and_check(client)
    token = made_at(age, lambda: links.personal_token(entry))

    assert (links.entry_for_personal_token(token) == entry) is accepted
    assert client.get(f"/nl/me/{token}").status_code == (200 if accepted else 404)


@pytest.mark.parametrize(
    ("age", "accepted"), [(2 * DAY - 60, True), (2 * DAY + 60, False)]
)
def test_an_update_link_expires_after_two_days(client, app_ctx, vcdb, age, accepted):
    entry = register_and_check(client)
    submission = an_update(client, entry)
    token = made_at(age, lambda: links.confirm_token(submission))

    assert client.get(f"/nl/confirm/{token}").status_code == (200 if accepted else 404)


def test_after_withdrawal_every_link_is_dead(client, app_ctx, vcdb):
    entry = register_and_check(client)
    submission = an_update(client, entry)
    personal = f"/nl/me/{links.personal_token(entry)}"
    confirm = f"/nl/confirm/{links.confirm_token(submission)}"
    assert client.get(personal).status_code == 200

    assert client.post(personal + "/withdraw").status_code == 303

    for path in (personal, personal + "/change", personal + "/withdraw", confirm):
        assert client.get(path).status_code == 404, path
    for path in (personal + "/renew", personal + "/withdraw", confirm):
        assert client.post(path).status_code == 404, path


@pytest.mark.parametrize(
    ("lang", "title", "days"),
    [
        ("nl", "Deze link werkt niet meer", "na 30 dagen"),
        ("fr", "Ce lien ne fonctionne plus", "après 30 jours"),
        ("de", "Dieser Link funktioniert nicht mehr", "nach 30 Tagen"),
    ],
)
def test_a_dead_personal_link_says_why_and_looks_like_any_bad_token(
    client, app_ctx, vcdb, lang, title, days
):
    entry = register_and_check(client)
    token = links.personal_token(entry)
    client.post(f"/nl/me/{token}/withdraw")

    # A fresh context: the one of the test keeps the first request's language.
    with app_ctx.app_context():
        withdrawn = client.get(f"/{lang}/me/{token}")
        never_valid = client.get(f"/{lang}/me/not-a-token")

    assert withdrawn.status_code == never_valid.status_code == 404
    page = withdrawn.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in page
    assert days in page
    assert f'href="/{lang}/register"' in page
    # The same page for both, bar the signed CSRF token and the token itself in
    # the language links: nothing to probe.
    assert comparable(page, token) == comparable(
        never_valid.get_data(as_text=True), "not-a-token"
    )


def comparable(html, token):
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", html).replace(token, "TOKEN")


def test_a_confirmed_update_retires_older_personal_links(client, app_ctx, vcdb):
    entry = register_and_check(client)
    old = f"/nl/me/{links.personal_token(entry)}"
    submission = an_update(client, entry)

    fresh = client.post(f"/nl/confirm/{links.confirm_token(submission)}")

    assert fresh.status_code == 303
    assert client.get(old).status_code == 404
    assert client.get(fresh.headers["Location"]).status_code == 200


def test_an_invitation_link_is_refused_as_a_personal_link(client, app_ctx, vcdb):
    decline = pytest.importorskip("app.centre.links")
    entry = register_and_check(client)
    # A decline link's payload, signed for the decline purpose, naming the
    # entry's id as if it were an invitation.
    token = signed(decline.DECLINE, {"i": entry.id}, app_ctx)
    shaped = signed(decline.DECLINE, {"e": entry.id, "v": entry.link_version}, app_ctx)

    assert decline.DECLINE not in (links.PERSONAL, links.CONFIRM_UPDATE)
    assert links.entry_for_personal_token(shaped) is None
    assert links.submission_for_confirm_token(token) is None
    assert decline.invitation_for_decline_token(links.personal_token(entry)) is None
