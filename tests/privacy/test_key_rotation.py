"""Key rotation: data written under key A, DATA_KEYS="B,A", rotate-keys, and
then key B alone reads everything, and national numbers are still found."""

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from app import crypto
from app.extensions import db
from app.models import OutboxMessage, Person, StaffUser
from app.services import availability, entries, keys, outbox, users
from tests.privacy.conftest import ERASED, KEPT

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


@pytest.fixture
def under_keys(app, make_app):
    """Run a block in an app whose DATA_KEYS are given; the test app's keys
    are put back afterwards."""
    built = []

    def use(data_keys):
        new = make_app(DATA_KEYS=data_keys, WTF_CSRF_ENABLED=False)
        built.append(new)
        return new

    yield use
    for new in built:
        with new.app_context():
            db.engine.dispose()
    crypto.configure(app.config["DATA_KEYS"], app.config["LOOKUP_HASH_KEY"])


def write_people():
    centre_ids = entries.active_centre_ids(["vl-gent-flanders-expo"])
    day = availability.local_now().date()
    for someone in (ERASED, KEPT):
        data = entries.RegistrationData(
            person=entries.PersonData(
                ssin=someone.ssin,
                last_name=someone.last_name,
                first_name=someone.first_name,
                email=someone.email,
                mobile=someone.e164,
            ),
            postcode="9000",
            language="nl",
            centre_ids=centre_ids,
            slots=[(day, availability.EVENING)],
        )
        entries.register(data)
        outbox.queue_email(
            to=someone.email,
            language="nl",
            purpose="withdrawn",
            template="withdrawn",
            subject="Test",
            context={},
        )
    users.create_user(
        "agent.keys@lmb.test",
        "correct horse battery staple 42",
        "agent",
        display_name="Agent Keys",
    )
    db.session.commit()


def raw_tokens():
    """Every encrypted value as stored, by (table, column, primary key)."""
    tokens = {}
    with db.engine.connect() as connection:
        for table, columns in keys.encrypted_columns().items():
            (key,) = table.primary_key.columns
            plain = [sa.type_coerce(c, sa.Text).label(c.name) for c in columns]
            for row in connection.execute(select(key, *plain)):
                for column in columns:
                    if getattr(row, column.name) is not None:
                        tokens[table.name, column.name, row[0]] = getattr(
                            row, column.name
                        )
    return tokens


def decrypts_with(key, token):
    try:
        Fernet(key).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def plain_values():
    people = db.session.scalars(select(Person).order_by(Person.id)).all()
    return (
        [(p.ssin, p.last_name, p.first_name, p.email, p.mobile) for p in people],
        sorted(m.recipient for m in db.session.scalars(select(OutboxMessage))),
        db.session.scalar(select(StaffUser.display_name)),
    )


def test_rotation_moves_every_value_to_the_new_key(under_keys):
    with under_keys(KEY_A).app_context():
        write_people()
        before = plain_values()
        written = raw_tokens()
    # Person: ssin, names, e-mail, mobile; submission payloads are empty for new
    # entries; outbox: recipient, subject, body; staff: display name.
    assert len(written) == 2 * 5 + 2 * 3 + 1
    assert all(decrypts_with(KEY_A, token) for token in written.values())

    rotating = under_keys(f"{KEY_B},{KEY_A}")
    result = rotating.test_cli_runner().invoke(
        args=["lmb", "rotate-keys", "--batch", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "person: 2 rows, 10 values re-encrypted" in result.output
    assert "outbox_message: 2 rows, 6 values re-encrypted" in result.output
    assert "Done: 17 values re-encrypted under the newest key." in result.output
    again = rotating.test_cli_runner().invoke(args=["lmb", "rotate-keys"])
    assert "Done: 0 values re-encrypted" in again.output

    with under_keys(KEY_B).app_context():
        rotated = raw_tokens()
        assert rotated.keys() == written.keys()
        assert not any(decrypts_with(KEY_A, token) for token in rotated.values())
        assert plain_values() == before
        assert entries.find_person(ERASED.ssin).last_name == ERASED.last_name


def test_an_interrupted_rotation_goes_on_where_it_stopped(under_keys):
    with under_keys(KEY_A).app_context():
        write_people()

    class Stop(Exception):
        pass

    def stop_after_first_batch(result):
        raise Stop

    with under_keys(f"{KEY_B},{KEY_A}").app_context():
        with pytest.raises(Stop):
            keys.rotate_all(batch=1, progress=stop_after_first_batch)
        done = sum(decrypts_with(KEY_B, t) for t in raw_tokens().values())
        rest = keys.rotate_all(batch=1)

    # The first batch (one row of the first table) was committed and kept.
    assert done >= 1
    assert done + sum(r.values_rotated for r in rest) == 17
    with under_keys(KEY_B).app_context():
        assert all(decrypts_with(KEY_B, t) for t in raw_tokens().values())
