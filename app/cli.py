"""`flask --app wsgi lmb ...`: the operator's commands."""

import sys
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from app.models import Role
from app.services import centres, totp, users
from app.services.errors import DomainError

lmb_cli = AppGroup("lmb", help="LMB administration commands.")


@lmb_cli.command("import-centres")
@click.argument("centres_file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--postcodes",
    "postcodes_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Postcode file (default: app/data/postcodes.csv).",
)
def import_centres(centres_file, postcodes_file):
    """Load or update the centres and the postcodes they serve.

    CENTRES_FILE defaults to app/data/centres.csv. Running it twice changes
    nothing; a bad row stops it with the row named and nothing loaded.
    """
    try:
        result = centres.import_reference_data(
            centres_file or centres.CENTRES_FILE,
            postcodes_file or centres.POSTCODES_FILE,
        )
    except centres.ReferenceDataError as exc:
        raise click.ClickException(str(exc)) from exc
    if result.changed:
        click.echo(
            f"Postcodes: {result.postcodes_added} added, "
            f"{result.postcodes_changed} changed. "
            f"Centres: {result.centres_added} added, "
            f"{result.centres_changed} changed. "
            f"Served postcodes: {result.links_added} added, "
            f"{result.links_removed} removed."
        )
    else:
        click.echo("Centres and postcodes are up to date; nothing changed.")


# Staff accounts ------------------------------------------------------------

DEMO_PASSWORD = "lmb-demo-password-2026"
DEMO_CENTRE = "vl-gent-flanders-expo"
# (username, role, centre code, RIZIV/INAMI number, display name)
DEMO_USERS = (
    ("operator@lmb.test", Role.OPERATOR, None, None, "Demo operator"),
    ("staff@lmb.test", Role.CENTRE_STAFF, DEMO_CENTRE, None, "Demo centre staff"),
    ("doctor@lmb.test", Role.DOCTOR, None, "10000000000", "Demo doctor"),
    ("agent@lmb.test", Role.AGENT, None, None, "Demo contact-centre agent"),
    ("monitor@lmb.test", Role.MONITOR, None, None, "Demo monitor"),
)


def _english(message):
    """A service's (lazy) message in English, the operator console's language."""
    with force_locale("en"):
        return str(message)


@lmb_cli.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(Role.ALL))
@click.option("--centre", "centre_code", help="Centre code; centre staff only.")
@click.option(
    "--riziv", "riziv_number", help="RIZIV/INAMI number of 11 digits; doctors only."
)
@click.option("--name", "display_name", help="Name shown to colleagues.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)
@click.option(
    "--totp",
    "with_totp",
    is_flag=True,
    help="Switch on two-step log-in and print the secret for the app.",
)
def create_user(
    username, role, centre_code, riziv_number, display_name, password_stdin, with_totp
):
    """Create a staff account; asks for the password twice.

    Passwords: at least 12 characters, not only one kind of character, not
    the username, not a common password. With --totp the account needs a
    code from an authenticator app at each log-in; the secret is printed once.
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.create_user(
            username,
            password,
            role,
            centre_code=centre_code,
            riziv_number=riziv_number,
            display_name=display_name,
        )
    except DomainError as exc:
        raise click.ClickException(_english(exc.message)) from exc
    click.echo(f"Created staff account {user.id} with role {user.role}.")
    if with_totp:
        _enable_totp(user)


def _enable_totp(user):
    secret = totp.new_secret()
    totp.enable(user.id, secret, datetime.now(UTC))
    click.echo("Two-step log-in is on. Add this key to the authenticator app:")
    click.echo(f"  {totp.grouped(secret)}")
    click.echo(f"  {totp.provisioning_uri(secret, user.username)}")


@lmb_cli.command("reset-totp")
@click.argument("username")
def reset_totp(username):
    """Remove an account's second factor (a lost phone); it enrols again at
    /staff/totp, which operators must do before using the staff pages."""
    user = users.find_user(username)
    if user is None:
        raise click.ClickException("There is no account with this username.")
    totp.disable(user.id, datetime.now(UTC))
    click.echo(f"Two-step log-in removed from staff account {user.id}.")


@lmb_cli.command("demo-users")
def demo_users():
    """Create the demonstration accounts (development only; idempotent)."""
    if current_app.config["LMB_ENV"] != "development":
        raise click.ClickException(
            "Demo accounts are only made when LMB_ENV is development."
        )
    created = 0
    for username, role, centre_code, riziv, name in DEMO_USERS:
        if users.find_user(username) is not None:
            continue
        try:
            users.create_user(username, DEMO_PASSWORD, role, centre_code, riziv, name)
        except DomainError as exc:
            raise click.ClickException(_english(exc.message)) from exc
        created += 1
    present = len(DEMO_USERS) - created
    click.echo(f"Demo accounts: {created} created, {present} already present.")
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    click.echo(f"Log in at {base}/staff/login with one of:")
    for username, role, *_ in DEMO_USERS:
        click.echo(f"  {username:<20} {role}")
    click.echo(f"Password of every demo account: {DEMO_PASSWORD}")


# Encryption keys -------------------------------------------------------------


@lmb_cli.command("rotate-keys")
@click.option("--batch", default=500, show_default=True, help="Rows per commit.")
def rotate_keys(batch):
    """Re-encrypt every encrypted value under the newest key of DATA_KEYS.

    Safe to stop and run again: values already under the newest key are
    skipped. When it reports 0 re-encrypted, the old key can be dropped.
    """
    from app.services import keys

    results = keys.rotate_all(batch=batch)
    for result in results:
        click.echo(
            f"{result.table}: {result.rows_seen} rows, "
            f"{result.values_rotated} values re-encrypted"
            + (
                f", {result.values_changed_meanwhile} changed meanwhile"
                if result.values_changed_meanwhile
                else ""
            )
        )
    total = sum(result.values_rotated for result in results)
    changed = sum(result.values_changed_meanwhile for result in results)
    if changed:
        click.echo("Some values changed during the run: run it once more.")
    click.echo(f"Done: {total} values re-encrypted under the newest key.")
