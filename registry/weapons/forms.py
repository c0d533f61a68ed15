import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from registry.inputs import DateTextField
from registry.reference.normalize import country_code
from registry.weapons.models import Sharing, WeaponStatus
from registry.weapons.serials import SerialState


def _suggested(name: str) -> dict:
    """Attributes of a field the reference table's <datalist> (weapons/_reference_lists.html)
    suggests values for; the browser's own autocompletion would hide it."""
    return {"list": f"reference-{name}", "autocomplete": "off"}


_CODE_IN_BRACKETS = re.compile(r"\(([A-Za-z]{2})\)\s*$")


class CountryField(StringField):
    """A country picked from the page's one list of countries (<datalist id="countries">)
    or typed: its name in French or English, a usual name ("URSS") or its code. `data` is
    the ISO code. One list for the form's three country fields, rather than a <select> of
    every country for each, keeps the page light on slow connections."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, render_kw={"list": "countries", "autocomplete": "off"}, **kwargs)
        self.labels: dict[str, str] = {}  # code -> "Name (code)" in the reader's language
        self.keys: dict[str, str] = {}  # comparison key of every way of writing it -> code

    def _value(self) -> str:
        return self.labels.get(self.data, self.data) if self.data else ""

    def pre_validate(self, form) -> None:
        text = (self.data or "").strip()
        if not text:
            self.data = ""
            return
        bracketed = _CODE_IN_BRACKETS.search(text)
        code = bracketed.group(1).upper() if bracketed else country_code(self.keys, text)
        if code not in self.labels:
            self.data = text  # shown again as typed
            raise ValidationError(_l("“%(text)s” is not a country of the list: pick one, or type its "
                                     "name or its two-letter code.", text=text))
        self.data = code


class WeaponForm(FlaskForm):
    """What an officer types. The service checks the values (dates, statuses, serial)."""

    status = SelectField(_l("Status"), description=_l(
        "Seized, found or surrendered: in your hands. Lost, stolen or trafficked: wanted; "
        "other states' searches on its serial make a hit."))
    sharing = SelectField(_l("Sharing"), description=_l(
        "National: your country only. Partner states: the states your agency lists as partners. "
        "All: every state of the registry. Share lost and stolen weapons so others can find them."))
    raw_serial = StringField(_l("Serial number"), validators=[Length(max=100)], description=_l(
        "As stamped, with its spaces and dashes: the comparison ignores them and reads O as 0, "
        "I and L as 1. If it is ground off or unreadable, say so below."))
    serial_state = SelectField(_l("Serial state"), validate_choice=False, description=_l(
        "Left on “detect”, words such as “limé”, “illisible” or “néant” are understood."))
    raw_make = StringField(_l("Make"), validators=[Length(max=200)], render_kw=_suggested("makes"),
                           description=_l("As marked or reported, e.g. Kalashnikov, Beretta."))
    raw_model = StringField(_l("Model"), validators=[Length(max=200)], render_kw=_suggested("models"),
                            description=_l("E.g. AKM, 92FS."))
    raw_calibre = StringField(_l("Calibre"), validators=[Length(max=100)], render_kw=_suggested("calibres"),
                              description=_l("E.g. 7.62x39mm, 9mm Parabellum, 12 gauge."))
    raw_type = StringField(_l("Type"), validators=[Length(max=100)], render_kw=_suggested("types"),
                           description=_l("E.g. assault rifle, pistol, shotgun."))
    marking_importer = StringField(_l("Importer marking"), validators=[Length(max=200)])
    marking_proof = StringField(_l("Proof marks"), validators=[Length(max=200)])
    marking_year = StringField(_l("Year marking"), validators=[Length(max=20)])
    marking_other = StringField(_l("Other markings"), validators=[Length(max=500)],
                                description=_l("Factory codes, arsenal marks, inscriptions."))
    manufacture_country_code = CountryField(_l("Country of manufacture"))
    last_import_country_code = CountryField(_l("Country of last legal import"))
    event_date = DateTextField(_l("Date of the event"), description=_l(
        "Day of the seizure, find, loss or theft (DD/MM/YYYY): not in the future, not before 1850."))
    event_town = StringField(_l("Town"), validators=[Length(max=200)])
    event_region = StringField(_l("Region"), validators=[Length(max=200)])
    event_country_code = CountryField(_l("Country of the event"))
    latitude = StringField(_l("Latitude"), description=_l("Optional, in decimal degrees, e.g. 12.6392."))
    longitude = StringField(_l("Longitude"), description=_l("Optional, in decimal degrees, e.g. -8.0029."))
    case_reference = StringField(_l("Case reference"), validators=[Length(max=100)],
                                 description=_l("Your file or procedure number."))
    legal_ground = StringField(_l("Legal ground"), validators=[Length(max=200)],
                               description=_l("E.g. illicit possession."))
    criminal_context = StringField(_l("Criminal context"), validators=[Length(max=200)],
                                   description=_l("E.g. trafficking, armed group, diversion; may be "
                                                  "completed later."))
    circumstances = TextAreaField(_l("Circumstances"), validators=[Length(max=10_000)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=10_000)])
    version = HiddenField()

    def validate_raw_serial(self, field):
        # An empty serial left on "detect" is more often forgotten than absent: a record
        # without its serial never makes a hit, so the officer says which it is.
        if not (field.data or "").strip() and not self.serial_state.data:
            raise ValidationError(_l("Type the serial number as stamped, or choose its state below: "
                                     "obliterated, unreadable or no serial number."))

    COUNTRY_FIELDS = ("manufacture_country_code", "last_import_country_code", "event_country_code")

    def set_choices(self, countries: list[tuple[str, str]], country_keys: dict[str, str]):
        """`countries`: (code, label) in the order offered; `country_keys`: the comparison
        key of every way of writing a country -> its code."""
        self.status.choices = [("", _l("Choose…"))] + [(s.value, s.label) for s in WeaponStatus]
        self.sharing.choices = [(s.value, s.label) for s in Sharing]
        self.serial_state.choices = [("", _l("Detect from what is typed"))] + [
            (s.value, s.label) for s in SerialState]
        self.countries = countries
        labels = dict(countries)
        for name in self.COUNTRY_FIELDS:
            getattr(self, name).labels, getattr(self, name).keys = labels, country_keys

    def values(self) -> dict:
        """The typed values, as the service takes them."""
        return {name: field.data for name, field in self._fields.items()
                if name not in ("csrf_token", "version")}


class DeleteForm(FlaskForm):
    reason = TextAreaField(_l("Reason for deletion"), validators=[Length(max=2000)],
                           description=_l("Kept in the history and the audit log."))


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo"), description=_l("JPEG, PNG or WebP, at most 5 MB; 6 per record."))
    caption = StringField(_l("Caption"), validators=[Length(max=200)])
    shareable = BooleanField(_l("Shown to the states the record is shared with"),
                             description=_l("Leave unticked for a photo that shows a person, a place or a case."))


class HitDecisionForm(FlaskForm):
    decision = HiddenField()
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)],
                           description=_l("Needed to dismiss: why it is not the same weapon."))
    linked_reference = StringField(
        _l("Your record of this weapon (optional)"), validators=[Length(max=32)],
        description=_l("Its reference, e.g. ML-2026-000123: the hit then links the two records."))


class HitRecordUpdateForm(FlaskForm):
    """The owner's answer to a confirmed hit: what became of its wanted weapon."""

    status = SelectField(_l("The weapon is now"), choices=[
        ("seized", _l("Seized (abroad, by the state that met it)")),
        ("returned", _l("Returned to its owner")),
    ])
    version = HiddenField()


class SerialListForm(FlaskForm):
    """A list of serials pasted at once (how many, and none blank, the service checks)."""

    serials = TextAreaField(_l("Serials, one a line"), validators=[Length(max=100_000)],
                            render_kw={"rows": 8})
