"""Vaccination centres and the Belgian postcodes they serve."""

from app.extensions import db


class PostcodeArea(db.Model):
    """One (postcode, municipality) pair; three postcodes span two municipalities."""

    __tablename__ = "postcode_area"

    id = db.Column(db.Integer, primary_key=True)
    postcode = db.Column(db.String(4), nullable=False, index=True)
    nis_code = db.Column(db.String(5), nullable=False)
    municipality_nl = db.Column(db.String(80), nullable=False)
    municipality_fr = db.Column(db.String(80), nullable=False)
    municipality_de = db.Column(db.String(80), nullable=False)
    province_nl = db.Column(db.String(80), nullable=False, default="")
    province_fr = db.Column(db.String(80), nullable=False, default="")
    region = db.Column(db.String(20), nullable=False)

    __table_args__ = (db.UniqueConstraint("postcode", "nis_code"),)

    def municipality(self, lang):
        return getattr(self, f"municipality_{lang}", self.municipality_nl)


class Centre(db.Model):
    """A vaccination centre; `code` is its stable public identifier."""

    __tablename__ = "centre"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(64), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    address = db.Column(db.String(200), nullable=False, default="")
    postcode = db.Column(db.String(4), nullable=False)
    municipality = db.Column(db.String(80), nullable=False)
    province = db.Column(db.String(80), nullable=False, default="")
    region = db.Column(db.String(20), nullable=False)
    languages = db.Column(db.String(20), nullable=False)
    kind = db.Column(db.String(20), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)

    served = db.relationship(
        "CentrePostcode",
        back_populates="centre",
        cascade="all, delete-orphan",
        order_by="CentrePostcode.postcode",
    )

    @property
    def served_postcodes(self):
        return {link.postcode for link in self.served}

    @property
    def full_address(self):
        place = f"{self.postcode} {self.municipality}"
        return f"{self.address}, {place}" if self.address else place


class CentrePostcode(db.Model):
    """A postcode served by a centre."""

    __tablename__ = "centre_postcode"

    centre_id = db.Column(
        db.Integer, db.ForeignKey("centre.id", ondelete="CASCADE"), primary_key=True
    )
    postcode = db.Column(db.String(4), primary_key=True, index=True)

    centre = db.relationship("Centre", back_populates="served")
