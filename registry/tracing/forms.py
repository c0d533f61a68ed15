from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from registry.tracing.workflow import ANSWER_OUTCOMES, Reason, Urgency

TEXT = [Optional(), Length(max=10_000)]


class TraceRequestForm(FlaskForm):
    requested_country_code = SelectField(
        _l("Requested state"), validators=[DataRequired()], validate_choice=False,
        description=_l("First the country of last legal import or of manufacture, read from the markings."))
    requested_agency_id = SelectField(
        _l("Requested agency"), default="", validate_choice=False,
        description=_l("Leave empty to address the state's tracing focal point."))
    urgency = SelectField(_l("Urgency"), default=Urgency.NORMAL.value)
    illicit_reason = TextAreaField(_l("Why the weapon is considered illicit"), validators=TEXT)
    legal_basis = TextAreaField(_l("Legal basis"), validators=TEXT)
    recovery_circumstances = TextAreaField(_l("Circumstances of recovery"), validators=TEXT)
    information_sought = TextAreaField(_l("Information sought"), validators=TEXT)
    intended_use = TextAreaField(_l("Intended use of the answer"), validators=TEXT)
    confidentiality = TextAreaField(_l("Confidentiality conditions"), validators=TEXT)

    def set_choices(self, countries, agencies):
        self.requested_country_code.choices = [("", "—")] + countries
        self.requested_agency_id.choices = [("", _l("Tracing focal point"))] + agencies
        self.urgency.choices = [(item.value, item.label) for item in Urgency]


class ContentForm(FlaskForm):
    """The ITI content, completed on a draft or when the other side asked for information."""

    urgency = SelectField(_l("Urgency"))
    illicit_reason = TextAreaField(_l("Why the weapon is considered illicit"), validators=TEXT)
    legal_basis = TextAreaField(_l("Legal basis"), validators=TEXT)
    recovery_circumstances = TextAreaField(_l("Circumstances of recovery"), validators=TEXT)
    information_sought = TextAreaField(_l("Information sought"), validators=TEXT)
    intended_use = TextAreaField(_l("Intended use of the answer"), validators=TEXT)
    confidentiality = TextAreaField(_l("Confidentiality conditions"), validators=TEXT)

    def set_choices(self):
        self.urgency.choices = [(item.value, item.label) for item in Urgency]


def reason_choices():
    return [("", "—")] + [(item.value, item.label) for item in Reason]


def outcome_choices():
    return [("", "—")] + [(item.value, item.label) for item in ANSWER_OUTCOMES]


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=10_000)])


class AttachmentForm(FlaskForm):
    description = StringField(_l("Description"), validators=[Optional(), Length(max=300)])
