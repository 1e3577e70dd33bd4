"""Loading the centre and postcode reference data, and finding centres.

The files are those of app/data/ (see its README). A load either succeeds
whole or changes nothing: every row is checked first, and the first bad row
stops the import with a message naming the file and the line.
"""

import csv
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Centre, CentrePostcode, PostcodeArea

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CENTRES_FILE = DATA_DIR / "centres.csv"
POSTCODES_FILE = DATA_DIR / "postcodes.csv"

POSTCODE_RE = re.compile(r"^[1-9][0-9]{3}$")
NIS_RE = re.compile(r"^[0-9]{5}$")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
REGIONS = {"Flanders", "Wallonia", "Brussels", "German-speaking"}
LANGS = {"nl", "fr", "de"}

POSTCODE_COLUMNS = (
    "postcode",
    "nis_code",
    "municipality_nl",
    "municipality_fr",
    "municipality_de",
    "province_nl",
    "province_fr",
    "region",
)
CENTRE_COLUMNS = (
    "id",
    "name",
    "address",
    "postcode",
    "municipality",
    "province_nl",
    "region",
    "languages",
    "kind",
    "serves",
)


class ReferenceDataError(Exception):
    """The reference data could not be loaded; the message names the row."""


@dataclass
class ImportResult:
    postcodes_added: int = 0
    postcodes_changed: int = 0
    centres_added: int = 0
    centres_changed: int = 0
    links_added: int = 0
    links_removed: int = 0

    @property
    def changed(self):
        return any(vars(self).values())


def _read(path, columns):
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot be read ({exc.strerror}).") from exc
    with handle:
        try:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or ())]
            if missing:
                raise ReferenceDataError(
                    f"{path}: line 1: missing column(s) {', '.join(missing)}."
                )
            # Line numbers as a spreadsheet shows them: the header is line 1.
            return [(n, row) for n, row in enumerate(reader, start=2)]
        except UnicodeDecodeError as exc:
            raise ReferenceDataError(f"{path}: not UTF-8 text.") from exc
        except csv.Error as exc:
            raise ReferenceDataError(f"{path}: line {reader.line_num}: {exc}.") from exc


def _require(path, line, row, column, pattern=None):
    value = (row.get(column) or "").strip()
    if not value:
        raise ReferenceDataError(f"{path}: line {line}: column {column} is empty.")
    if pattern and not pattern.match(value):
        raise ReferenceDataError(
            f"{path}: line {line}: {column} {value!r} is not valid."
        )
    return value


def parse_postcodes(path):
    """Rows of the postcode file as dicts keyed like PostcodeArea's columns."""
    areas = {}
    for line, row in _read(path, POSTCODE_COLUMNS):
        area = {
            "postcode": _require(path, line, row, "postcode", POSTCODE_RE),
            "nis_code": _require(path, line, row, "nis_code", NIS_RE),
            "municipality_nl": _require(path, line, row, "municipality_nl"),
            "municipality_fr": _require(path, line, row, "municipality_fr"),
            "municipality_de": _require(path, line, row, "municipality_de"),
            "province_nl": (row.get("province_nl") or "").strip(),
            "province_fr": (row.get("province_fr") or "").strip(),
            "region": _require(path, line, row, "region"),
        }
        if area["region"] not in REGIONS:
            raise ReferenceDataError(
                f"{path}: line {line}: region {area['region']!r} is not one of "
                f"{', '.join(sorted(REGIONS))}."
            )
        key = (area["postcode"], area["nis_code"])
        if key in areas:
            raise ReferenceDataError(
                f"{path}: line {line}: postcode {key[0]} with municipality {key[1]} "
                "appears twice."
            )
        areas[key] = area
    if not areas:
        raise ReferenceDataError(f"{path}: holds no postcodes.")
    return areas


def parse_centres(path, known_postcodes):
    """Rows of the centre file; every served postcode must be a known one."""
    centres = {}
    for line, row in _read(path, CENTRE_COLUMNS):
        code = _require(path, line, row, "id", CODE_RE)
        if code in centres:
            raise ReferenceDataError(
                f"{path}: line {line}: centre id {code} appears twice."
            )
        languages = (row.get("languages") or "").split()
        if not languages or not set(languages) <= LANGS:
            raise ReferenceDataError(
                f"{path}: line {line}: languages must be among nl, fr, de."
            )
        serves = (row.get("serves") or "").split()
        if not serves:
            raise ReferenceDataError(
                f"{path}: line {line}: centre {code} serves no postcode."
            )
        unknown = sorted(p for p in serves if p not in known_postcodes)
        if unknown:
            raise ReferenceDataError(
                f"{path}: line {line}: centre {code} serves unknown postcode(s) "
                f"{', '.join(unknown[:5])}."
            )
        region = _require(path, line, row, "region")
        if region not in REGIONS:
            raise ReferenceDataError(
                f"{path}: line {line}: region {region!r} is unknown."
            )
        centres[code] = {
            "code": code,
            "name": _require(path, line, row, "name"),
            "address": (row.get("address") or "").strip(),
            "postcode": _require(path, line, row, "postcode", POSTCODE_RE),
            "municipality": _require(path, line, row, "municipality"),
            "province": (row.get("province_nl") or "").strip(),
            "region": region,
            "languages": " ".join(languages),
            "kind": _require(path, line, row, "kind"),
            "serves": set(serves),
        }
    served = set().union(*(c["serves"] for c in centres.values())) if centres else set()
    unserved = sorted(known_postcodes - served)
    if unserved:
        raise ReferenceDataError(
            f"{path}: {len(unserved)} postcode(s) are served by no centre, "
            f"e.g. {', '.join(unserved[:5])}."
        )
    return centres


def _apply(existing, values):
    changed = False
    for key, value in values.items():
        if getattr(existing, key) != value:
            setattr(existing, key, value)
            changed = True
    return changed


def import_reference_data(centres_path=CENTRES_FILE, postcodes_path=POSTCODES_FILE):
    """Load or update postcodes and centres in one transaction.

    Running it twice changes nothing. Centres that left the file are kept but
    marked inactive, since registrations and campaigns may still point at them.
    """
    areas = parse_postcodes(postcodes_path)
    known = {postcode for postcode, _ in areas}
    centres = parse_centres(centres_path, known)
    result = ImportResult()

    try:
        existing_areas = {
            (a.postcode, a.nis_code): a
            for a in db.session.scalars(select(PostcodeArea))
        }
        for key, values in areas.items():
            area = existing_areas.get(key)
            if area is None:
                db.session.add(PostcodeArea(**values))
                result.postcodes_added += 1
            elif _apply(area, values):
                result.postcodes_changed += 1
        for key, area in existing_areas.items():
            if key not in areas:
                db.session.delete(area)
                result.postcodes_changed += 1

        existing_centres = {c.code: c for c in db.session.scalars(select(Centre))}
        for code, values in centres.items():
            serves = values.pop("serves")
            centre = existing_centres.get(code)
            if centre is None:
                centre = Centre(**values, active=True)
                db.session.add(centre)
                result.centres_added += 1
            elif _apply(centre, {**values, "active": True}):
                result.centres_changed += 1
            current = {link.postcode: link for link in centre.served}
            for postcode in sorted(serves - current.keys()):
                centre.served.append(CentrePostcode(postcode=postcode))
                result.links_added += 1
            for postcode in current.keys() - serves:
                centre.served.remove(current[postcode])
                result.links_removed += 1
        for code, centre in existing_centres.items():
            if code not in centres and centre.active:
                centre.active = False
                result.centres_changed += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    logger.info(
        "reference data loaded: %d postcodes and %d centres added, %d and %d changed",
        result.postcodes_added,
        result.centres_added,
        result.postcodes_changed,
        result.centres_changed,
    )
    return result


def normalise_postcode(value):
    """'9000', ' 9000 ', 'B-9000' -> '9000'; anything else -> None."""
    text = (value or "").strip().upper()
    for prefix in ("B-", "B ", "BE-", "BE "):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
    return text if POSTCODE_RE.match(text) else None


def postcode_areas(postcode):
    """The municipalities of a postcode (usually one), or an empty list."""
    return db.session.scalars(
        select(PostcodeArea)
        .where(PostcodeArea.postcode == postcode)
        .order_by(PostcodeArea.nis_code)
    ).all()


def is_known_postcode(postcode):
    return bool(
        db.session.scalar(
            select(PostcodeArea.id).where(PostcodeArea.postcode == postcode).limit(1)
        )
    )


def centres_for_postcode(postcode):
    """Active centres serving a postcode, nearest first in spirit: those in the
    postcode itself, then the others by name."""
    centres = db.session.scalars(
        select(Centre)
        .join(CentrePostcode)
        .where(CentrePostcode.postcode == postcode, Centre.active.is_(True))
    ).all()
    return sorted(centres, key=lambda c: (c.postcode != postcode, c.name))


def active_centres():
    return db.session.scalars(
        select(Centre).where(Centre.active.is_(True)).order_by(Centre.name)
    ).all()


# The provinces as the data names them (in Dutch), and Brussels, which has
# none, in the reader's language.
AREA_LABELS = {
    "Antwerpen": _l("Antwerp"),
    "Henegouwen": _l("Hainaut"),
    "Limburg": _l("Limburg"),
    "Luik": _l("Liège"),
    "Luxemburg": _l("Luxembourg"),
    "Namen": _l("Namur"),
    "Oost-Vlaanderen": _l("East Flanders"),
    "Vlaams-Brabant": _l("Flemish Brabant"),
    "Waals-Brabant": _l("Walloon Brabant"),
    "West-Vlaanderen": _l("West Flanders"),
    "Brussels": _l("Brussels"),
}


def group_by_province(centres):
    """[(province or region, [centres])] for long pick lists, named and
    sorted in the reader's language."""
    groups = {}
    for centre in centres:
        area = centre.province or centre.region
        groups.setdefault(str(AREA_LABELS.get(area, area)), []).append(centre)
    return sorted(groups.items(), key=lambda group: _sort_key(group[0]))


def _sort_key(name):
    """Alphabetical as people read it: Liège before Limbourg."""
    letters = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in letters if not unicodedata.combining(c))
