from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from registry.tracing.workflow import ANSWER_OUTCOMES, Reason, Urgency

TEXT = [Optional(), Length(max=10_000)]

# What the requested state needs to read in each part of the request, as the ITI lists it.
HELP = {
    "illicit_reason": _l("E.g. held without a licence; its serial matches a weapon reported stolen."),
    "legal_basis": _l("The law and the procedure under which you ask: article, case or file number."),
    "recovery_circumstances": _l("Where, when and how the weapon was found or seized, and by which service."),
    "information_sought": _l("E.g. the last legal holder, the dates of export and import, the importer."),
    "intended_use": _l("E.g. a criminal investigation or prosecution: the answer is used for nothing else."),
    "confidentiality": _l("Who may read the answer, and any limit on passing it on."),
}


class TraceRequestForm(FlaskForm):
    requested_country_code = SelectField(
        _l("Requested state"), validators=[DataRequired()], validate_choice=False,
        description=_l("First the country of last legal import or of manufacture, read from the markings."))
    requested_agency_id = SelectField(
        _l("Requested agency"), default="", validate_choice=False,
        description=_l("Leave empty to address the state's tracing focal point."))
    urgency = SelectField(_l("Urgency"), default=Urgency.NORMAL.value)
    illicit_reason = TextAreaField(_l("Why the weapon is considered illicit"), validators=TEXT, description=HELP["illicit_reason"])
    legal_basis = TextAreaField(_l("Legal basis"), validators=TEXT, description=HELP["legal_basis"])
    recovery_circumstances = TextAreaField(_l("Circumstances of recovery"), validators=TEXT, description=HELP["recovery_circumstances"])
    information_sought = TextAreaField(_l("Information sought"), validators=TEXT, description=HELP["information_sought"])
    intended_use = TextAreaField(_l("Intended use of the answer"), validators=TEXT, description=HELP["intended_use"])
    confidentiality = TextAreaField(_l("Confidentiality conditions"), validators=TEXT, description=HELP["confidentiality"])

    def set_choices(self, countries, agencies):
        self.requested_country_code.choices = [("", "—")] + countries
        self.requested_agency_id.choices = [("", _l("Tracing focal point"))] + agencies
        self.urgency.choices = [(item.value, item.label) for item in Urgency]


class ContentForm(FlaskForm):
    """The ITI content, completed on a draft or when the other side asked for information."""

    urgency = SelectField(_l("Urgency"))
    illicit_reason = TextAreaField(_l("Why the weapon is considered illicit"), validators=TEXT, description=HELP["illicit_reason"])
    legal_basis = TextAreaField(_l("Legal basis"), validators=TEXT, description=HELP["legal_basis"])
    recovery_circumstances = TextAreaField(_l("Circumstances of recovery"), validators=TEXT, description=HELP["recovery_circumstances"])
    information_sought = TextAreaField(_l("Information sought"), validators=TEXT, description=HELP["information_sought"])
    intended_use = TextAreaField(_l("Intended use of the answer"), validators=TEXT, description=HELP["intended_use"])
    confidentiality = TextAreaField(_l("Confidentiality conditions"), validators=TEXT, description=HELP["confidentiality"])

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
