"""`flask --app wsgi lmb ...`: the operator's commands."""

import click
from flask.cli import AppGroup

from app.services import centres

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
