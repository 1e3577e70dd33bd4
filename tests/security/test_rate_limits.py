"""The limit per national number on public forms: counted by keyed hash,
across client addresses, only for forms that are sent for real."""

import redis

from app.crypto import lookup_hash
from tests.citizen.test_registration import form
from tests.factories import make_ssin
from tests.security.conftest import new_address

NUMBER = make_ssin("520614", 77)
OTHER = make_ssin("520614", 78)


def post(client, **overrides):
    """Each post from another address: only the limit per number can bite."""
    return client.post(
        "/nl/register",
        data=form(**overrides),
        environ_base={"REMOTE_ADDR": new_address()},
    )


def test_a_number_is_accepted_five_times_an_hour(limited_app, app_ctx):
    client = limited_app.test_client()

    answers = [post(client, ssin=NUMBER).status_code for _ in range(6)]

    assert answers == [303] * 5 + [429]
    page = post(client, ssin="52.06.14-077." + NUMBER[-2:])  # another spelling
    assert page.status_code == 429
    assert "Even geduld" in page.get_data(as_text=True)
    assert post(client, ssin=OTHER).status_code == 303


def test_the_counter_holds_the_keyed_hash_never_the_number(limited_app, app_ctx):
    client = limited_app.test_client()
    post(client, ssin=NUMBER)

    connection = redis.Redis.from_url(limited_app.config["REDIS_URL"])
    prefix = limited_app.config["RATELIMIT_KEY_PREFIX"]
    keys = [
        key.decode()
        for key in connection.scan_iter(match=f"*{prefix}*national-number*")
    ]

    assert len(keys) == 1
    assert lookup_hash(NUMBER) in keys[0]
    assert NUMBER not in keys[0] and NUMBER[:6] not in keys[0]


def test_forms_with_errors_and_convenience_buttons_do_not_count(limited_app, app_ctx):
    client = limited_app.test_client()

    for _ in range(5):
        assert post(client, ssin=NUMBER, email="not an address").status_code == 422
        assert post(client, ssin=NUMBER, calendar_action="clear").status_code == 200

    assert [post(client, ssin=NUMBER).status_code for _ in range(5)] == [303] * 5


def test_buttons_that_only_change_the_form_have_a_limit_of_their_own(make_app):
    app = make_app(
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=True,
        RATELIMIT_PUBLIC_FORMS="3 per minute",
        RATELIMIT_FORM_EDITS="6 per minute",
    )
    client = app.test_client()
    address = {"REMOTE_ADDR": new_address()}

    def edit(**button):
        return client.post(
            "/nl/register", data=form(**button), environ_base=address
        ).status_code

    # Without JavaScript each calendar tick posts the whole form.
    edits = [edit(calendar_action="part:evening") for _ in range(4)]
    edits += [edit(show_centres="1"), edit(calendar_action="clear")]

    assert edits == [200] * 6
    assert edit(calendar_action="clear") == 429
    # The person can still send the form: the edits used none of its posts.
    sent = [
        client.post(
            "/nl/register", data=form(ssin=make_ssin("520614", n)), environ_base=address
        ).status_code
        for n in (81, 82, 83, 84)
    ]
    assert sent == [303, 303, 303, 429]


def test_the_limit_is_off_where_rate_limits_are_off(client, app_ctx):
    answers = {post(client, ssin=NUMBER).status_code for _ in range(7)}

    assert answers == {303}
