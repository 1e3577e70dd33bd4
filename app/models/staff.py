"""Accounts of the people who run the service: staff, doctors, agents, operators."""

from flask_login import UserMixin

from app.crypto import EncryptedText
from app.extensions import db
from app.models.registration import UTCDateTime, utcnow


class Role:
    CENTRE_STAFF = "centre_staff"  # bound to one centre
    OPERATOR = "operator"  # all centres, users, reports
    DOCTOR = "doctor"
    AGENT = "agent"  # contact-centre agent
    MONITOR = "monitor"  # monitoring only, no personal data
    ALL = (CENTRE_STAFF, OPERATOR, DOCTOR, AGENT, MONITOR)


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_user"

    id = db.Column(db.Integer, primary_key=True)
    # Log-in name; an e-mail address in practice, compared lower-cased.
    username = db.Column(db.String(254), nullable=False, unique=True)
    display_name = db.Column(EncryptedText)
    password_hash = db.Column(db.String(255), nullable=False)
    role = db.Column(db.String(16), nullable=False)
    centre_id = db.Column(db.Integer, db.ForeignKey("centre.id"))
    riziv_number = db.Column(db.String(16))
    active = db.Column(db.Boolean, nullable=False, default=True)
    failed_logins = db.Column(db.Integer, nullable=False, default=0)
    locked_until = db.Column(UTCDateTime)
    totp_secret = db.Column(EncryptedText)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(UTCDateTime)

    centre = db.relationship("Centre")

    __table_args__ = (
        db.CheckConstraint(
            "role <> 'centre_staff' OR centre_id IS NOT NULL", name="staff_has_centre"
        ),
    )

    @property
    def is_active(self):
        return self.active
