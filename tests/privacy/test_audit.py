"""The audit trail: `audit.record`, and no way to change or remove an event."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import AuditEvent
from app.models.audit import AuditTrailError
from app.services import audit, users

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def doctor(app_ctx):
    user = users.create_user(
        "dr.audit@lmb.test",
        "correct horse battery staple 42",
        "doctor",
        riziv_number="10000000000",
    )
    db.session.commit()
    return user


def events():
    return db.session.execute(
        select(
            AuditEvent.actor_id,
            AuditEvent.actor_role,
            AuditEvent.action,
            AuditEvent.entry_id,
            AuditEvent.detail,
        )
        .where(AuditEvent.action.like("entry_%"))
        .order_by(AuditEvent.id)
    ).all()


def test_record_adds_an_event_to_the_callers_transaction(doctor):
    audit.record(doctor, audit.ENTRY_READ, 41)
    audit.record(audit.CITIZEN, audit.ENTRY_CORRECTED, 41, "email,mobile")
    audit.record(None, audit.ENTRY_ERASED, 41, "lapsed")
    db.session.commit()
    audit.record(doctor, audit.ENTRY_CHANGED, 42)
    db.session.rollback()

    assert events() == [
        (doctor.id, "doctor", "entry_read", 41, None),
        (None, "citizen", "entry_corrected", 41, "email,mobile"),
        (None, "system", "entry_erased", 41, "lapsed"),
    ]


@pytest.mark.parametrize(
    "detail",
    ["maria.peeters@example.be", "85.07.30-033.28", "0470 12 34 56", "x" * 201],
)
def test_details_never_hold_personal_values(doctor, detail):
    with pytest.raises(ValueError):
        audit.record(doctor, audit.ENTRY_CHANGED, 41, detail)


def test_an_event_cannot_be_changed_or_deleted_through_the_orm(doctor):
    event = audit.record(doctor, audit.ENTRY_READ, 41)
    db.session.commit()

    event.detail = "changed"
    with pytest.raises(AuditTrailError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditTrailError):
        db.session.flush()
    db.session.rollback()
    for statement in (
        update(AuditEvent).values(detail="changed"),
        delete(AuditEvent).where(AuditEvent.id == event.id),
    ):
        with pytest.raises(AuditTrailError):
            db.session.execute(statement)
        db.session.rollback()

    assert events() == [(doctor.id, "doctor", "entry_read", 41, None)]


def test_postgresql_refuses_to_change_an_event(doctor):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    audit.record(doctor, audit.ENTRY_READ, 41)
    db.session.commit()

    with pytest.raises(sa.exc.DBAPIError, match="cannot be changed"):
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE audit_event SET detail = 'x'"))

    assert events() == [(doctor.id, "doctor", "entry_read", 41, None)]


# The code base never writes a statement that updates or deletes events.
FORBIDDEN = [
    re.compile(pattern, re.I)
    for pattern in (
        r"\b(update|delete)\(\s*AuditEvent\b",
        r"\bAuditEvent\b.*\.(update|delete)\(",
        r"\baudit_event\b.*\.(update|delete)\(",
        r"\b(UPDATE|DELETE\s+FROM|TRUNCATE)\s+\"?audit_event\b",
        r"\bAuditEvent\.__table__",
        r"\.(delete|merge)\(\s*(audit_)?event\b",
    )
]


def test_no_code_path_updates_or_deletes_audit_events():
    offenders = []
    for folder in ("app", "jobs", "scripts", "simulators"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                if any(pattern.search(line) for pattern in FORBIDDEN):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line}")

    assert offenders == []


def test_the_architecture_check_would_see_an_offence():
    offences = [
        "db.session.execute(update(AuditEvent).values(detail=''))",
        "db.session.execute(delete(AuditEvent))",
        "db.session.query(AuditEvent).filter_by(id=1).delete()",
        'conn.execute(text("DELETE FROM audit_event"))',
        "db.session.delete(event)",
    ]

    for line in offences:
        assert any(pattern.search(line) for pattern in FORBIDDEN), line
