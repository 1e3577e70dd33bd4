"""Key rotation: re-encrypt every encrypted column under the newest data key.

Rotation (README, "Key rotation"): put a new key in front of DATA_KEYS and
deploy; new values are then written under it while old ones still decrypt.
`rotate_all` rewrites the old ones, table by table, in batches of rows
ordered by primary key, each batch committed on its own. Values already
under the newest key are left alone, so a run that stops half-way can be
started again and only does what is left; a second run changes nothing.
Once it reports nothing left, the old key can be removed from DATA_KEYS.

Every `EncryptedText` column of every table of the models is found from the
schema, so tables added later are covered.
"""

import logging
from dataclasses import dataclass

from sqlalchemy import Text, and_, select, type_coerce

from app import crypto
from app.extensions import db

logger = logging.getLogger(__name__)

BATCH = 500


@dataclass
class TableResult:
    table: str
    rows_seen: int = 0
    values_rotated: int = 0
    values_changed_meanwhile: int = 0


def encrypted_columns():
    """{table: [encrypted columns]} over every table of the models."""
    found = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, crypto.EncryptedText)]
        if columns:
            found[table] = columns
    return found


def rotate_all(batch=BATCH, progress=None):
    """Re-encrypt every old value under the newest key; a list of TableResult.

    `progress(result)` is called after each committed batch.
    """
    results = []
    for table, columns in encrypted_columns().items():
        results.append(_rotate_table(table, columns, batch, progress))
    return results


def _rotate_table(table, columns, batch, progress):
    (key,) = table.primary_key.columns
    raw = [type_coerce(column, Text).label(column.name) for column in columns]
    result = TableResult(table.name)
    last = None
    while True:
        query = select(key, *raw).order_by(key).limit(batch)
        if last is not None:
            query = query.where(key > last)
        rows = db.session.execute(query).all()
        if not rows:
            break
        for row in rows:
            _rotate_row(table, key, columns, row, result)
        result.rows_seen += len(rows)
        last = rows[-1][0]
        db.session.commit()
        if progress is not None:
            progress(result)
    logger.info(
        "key rotation: %s, %d rows, %d values re-encrypted, %d changed meanwhile",
        table.name,
        result.rows_seen,
        result.values_rotated,
        result.values_changed_meanwhile,
    )
    return result


def _rotate_row(table, key, columns, row, result):
    for column in columns:
        token = getattr(row, column.name)
        if token is None or crypto.is_current(token):
            continue
        rotated = crypto.rotate(token)
        # Only if nobody changed the value since we read it; a value written
        # meanwhile is under the newest key already.
        outcome = db.session.execute(
            table.update()
            .where(and_(key == row[0], type_coerce(column, Text) == token))
            .values({column.name: type_coerce(rotated, Text)})
        )
        if outcome.rowcount == 1:
            result.values_rotated += 1
        else:
            result.values_changed_meanwhile += 1
