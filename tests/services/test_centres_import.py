"""Loading the reference data: idempotent, complete, and all-or-nothing."""

import shutil

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Centre, CentrePostcode, PostcodeArea
from app.services import centres


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(PostcodeArea)),
        db.session.scalar(select(func.count()).select_from(Centre)),
        db.session.scalar(select(func.count()).select_from(CentrePostcode)),
    )


def test_real_data_is_loaded_and_a_second_import_changes_nothing(app_ctx):
    # The session fixture loaded the files once already.
    assert counts() == (1152, 154, 1371)

    result = centres.import_reference_data()

    assert not result.changed
    assert counts() == (1152, 154, 1371)


def test_every_postcode_is_served_by_at_least_one_centre(app_ctx):
    postcodes = set(db.session.scalars(select(PostcodeArea.postcode)))
    served = set(db.session.scalars(select(CentrePostcode.postcode)))

    assert len(postcodes) == 1149
    assert postcodes <= served


def test_shared_postcode_has_both_municipalities(app_ctx):
    areas = centres.postcode_areas("1804")

    assert [a.municipality_nl for a in areas] == ["Vilvoorde", "Zemst"]


def _copy(tmp_path, name="centres.csv"):
    target = tmp_path / name
    shutil.copy(
        centres.CENTRES_FILE if name == "centres.csv" else centres.POSTCODES_FILE,
        target,
    )
    return target


def _rewrite_line(path, number, transform):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[number - 1] = transform(lines[number - 1])
    path.write_text("".join(lines), encoding="utf-8")


def test_a_bad_centre_row_names_its_line_and_loads_nothing(app_ctx, tmp_path):
    bad = _copy(tmp_path)
    # Line 40 serves a postcode that does not exist.
    _rewrite_line(bad, 40, lambda line: line.rstrip("\n") + " 9999\n")
    before = counts()

    with pytest.raises(centres.ReferenceDataError) as info:
        centres.import_reference_data(bad)

    assert "line 40" in str(info.value)
    assert "9999" in str(info.value)
    assert counts() == before


def test_a_bad_postcode_row_names_its_line(app_ctx, tmp_path):
    bad = _copy(tmp_path, "postcodes.csv")
    _rewrite_line(bad, 7, lambda line: "12A4" + line[4:])

    with pytest.raises(centres.ReferenceDataError) as info:
        centres.import_reference_data(centres.CENTRES_FILE, bad)

    assert "line 7" in str(info.value)
    assert "'12A4'" in str(info.value)


def test_a_postcode_served_by_no_centre_is_refused(app_ctx, tmp_path):
    postcodes = _copy(tmp_path, "postcodes.csv")
    with postcodes.open("a", encoding="utf-8") as handle:
        handle.write("9999,99999,Nergens,Nulle part,Nirgendwo,,,,Flanders,,,,no\n")

    with pytest.raises(centres.ReferenceDataError) as info:
        centres.import_reference_data(centres.CENTRES_FILE, postcodes)

    assert "served by no centre" in str(info.value)
    assert "9999" in str(info.value)


def test_a_missing_column_and_a_missing_file_are_clear(app_ctx, tmp_path):
    headerless = tmp_path / "centres.csv"
    headerless.write_text("id,name\nx,y\n", encoding="utf-8")

    with pytest.raises(centres.ReferenceDataError, match="line 1: missing column"):
        centres.import_reference_data(headerless)
    with pytest.raises(centres.ReferenceDataError, match="cannot be read"):
        centres.import_reference_data(tmp_path / "absent.csv")


def test_a_changed_file_updates_in_place(app_ctx, tmp_path):
    changed = _copy(tmp_path)
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("Feronstrée 64", "Feronstrée 66"), encoding="utf-8")

    result = centres.import_reference_data(changed)

    assert (result.centres_changed, result.centres_added) == (1, 0)
    centre = db.session.scalar(select(Centre).filter_by(code="wal-liege-feronstree"))
    assert centre.address == "Feronstrée 66"
    centres.import_reference_data()
    db.session.refresh(centre)
    assert centre.address == "Feronstrée 64"


def test_cli_import_is_idempotent(app):
    runner = app.test_cli_runner()

    result = runner.invoke(args=["lmb", "import-centres"])

    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output


def test_cli_reports_a_bad_file_without_a_traceback(app, tmp_path):
    bad = tmp_path / "centres.csv"
    bad.write_text("nonsense\n", encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["lmb", "import-centres", str(bad)])

    assert result.exit_code == 1
    assert "Error:" in result.output and "missing column" in result.output
