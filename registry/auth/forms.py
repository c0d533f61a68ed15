from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from registry.auth.models import AgencyKind
from registry.auth.roles import Role

LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English"), ("ar", "العربية")]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class SecondFactorForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
                       description=_l("The six digits your authenticator app shows, or one of "
                                      "your recovery codes."))


class EnrolForm(FlaskForm):
    code = StringField(_l("Code shown by the app"), validators=[DataRequired(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class PasswordForgotForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class PasswordChoiceForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=256)],
        description=_l("At least 12 characters, with three of: lower-case, capitals, digits, symbols."))
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )


class AccountForm(FlaskForm):
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )


def role_choices(actor, current: Role | None = None):
    """The roles `actor` may give (none above its own, platform admin only by one), and
    the user's current role so that the form shows it."""
    from registry.auth.roles import Permission

    everything = actor.can(Permission.MANAGE_ALL_USERS)
    return [(role.value, role.label) for role in Role
            if role == current or everything
            or (role != Role.PLATFORM_ADMIN and role.rank <= actor.role.rank)]


class UserCreateForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    agency_id = SelectField(_l("Agency"), coerce=int)
    role = SelectField(_l("Role"))
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    password = PasswordField(
        _l("Initial password"), validators=[Optional(), Length(max=256)],
        description=_l("Leave empty to e-mail an invitation: the user chooses its own password. "
                       "Otherwise at least 12 characters, with three of: lower-case, capitals, "
                       "digits, symbols."),
    )


class UserEditForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"))
    active = BooleanField(_l("Active"))


def kind_choices():
    return [(kind.value, kind.label) for kind in AgencyKind]


class AgencyForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(min=2, max=32)],
                       description=_l("Short unique code, e.g. ML-CNLPAL."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country_code = SelectField(_l("Country"))
    kind = SelectField(_l("Kind"))
    is_tracing_focal_point = BooleanField(_l("Tracing focal point of its country"))
    tracing_contact = StringField(
        _l("Tracing contact"), validators=[Length(max=300)],
        description=_l("Office, telephone, e-mail: shown to the other states its records are shared with."))
    requires_import_approval = BooleanField(_l("Imports need a supervisor's approval"))
    requires_trace_approval = BooleanField(_l("Outgoing traces need a supervisor's approval"))
    active = BooleanField(_l("Active"), default=True)
    partner_codes = SelectMultipleField(
        _l("Partner states"),
        description=_l("Records shared with 'partner states' are visible to these countries."),
    )
