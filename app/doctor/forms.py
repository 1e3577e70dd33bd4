"""Forms of the doctor pages: the registration form of situation b, worded
for someone registering another person, plus the choice of recipient.

`OnBehalfForm` is also the form of the contact-centre agents' pages.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, ValidationError
from wtforms.fields.choices import SelectChoice

from app.citizen.forms import RegistrationForm
from app.doctor.on_behalf import reword
from app.services import doctors
from app.services.entries import PersonData, RegistrationData

RECIPIENT_CHOICES = [
    SelectChoice(doctors.PATIENT, _l("The patient")),
    SelectChoice(doctors.DOCTOR, _l("Me, the doctor")),
]


class OnBehalfForm(RegistrationForm):
    """The public registration form, filled in for someone else."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reword(self)

    def registration_data(self):
        return RegistrationData(
            person=PersonData(
                ssin=self.ssin.clean,
                last_name=self.last_name.clean,
                first_name=self.first_name.clean,
                email=self.email.clean,
                mobile=self.mobile.clean,
            ),
            postcode=self.postcode.clean,
            language=self.language.data,
            centre_ids=self.centres.clean,
            slots=self.availability.clean,
        )


def _recipient(form, field):
    if field.data not in doctors.RECIPIENTS:
        raise ValidationError(
            _l("Choose who receives the invitation: the patient or you.")
        )


def recipient_field():
    return RadioField(
        _l("Who receives the invitation?"),
        description=_l(
            "The invitation holds the vaccination code; whoever receives it "
            "has 30 minutes to book."
        ),
        choices=RECIPIENT_CHOICES,
        validate_choice=False,
        validators=[_recipient],
    )


class PatientForm(OnBehalfForm):
    recipient = recipient_field()


class RecipientForm(FlaskForm):
    recipient = recipient_field()
