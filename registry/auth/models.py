"""Countries, agencies and the people who use the registry."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.auth.roles import ROLE_PERMISSIONS, Permission, Role
from registry.extensions import BilingualName, UTCDateTime, db, utcnow


def enum_column(enum_class: type[enum.Enum], **kwargs):
    """Enums are stored as their values in a plain string column, the same on every database."""
    return Enum(
        enum_class,
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        validate_strings=True,
        length=32,
        **kwargs,
    )


class Country(BilingualName, db.Model):
    __tablename__ = "country"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    alpha3: Mapped[str] = mapped_column(String(3), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str] = mapped_column(String(120))
    trace_acknowledge_days: Mapped[int] = mapped_column(Integer, default=10)
    trace_answer_days: Mapped[int] = mapped_column(Integer, default=30)
    # The IANA time zone its agencies read times in (Africa/Bamako); None: UTC.
    time_zone: Mapped[str | None] = mapped_column(String(64))

    @property
    def name_ar(self) -> str | None:
        from registry.auth.countries import arabic_names

        return arabic_names().get(self.code)

    def __repr__(self) -> str:
        return f"<Country {self.code}>"


class AgencyKind(enum.StrEnum):
    NATIONAL_COMMISSION = "national_commission"
    POLICE = "police"
    GENDARMERIE = "gendarmerie"
    CUSTOMS = "customs"
    NCB = "ncb"
    OTHER = "other"

    @property
    def label(self):
        return AGENCY_KIND_LABELS[self]


AGENCY_KIND_LABELS = {
    AgencyKind.NATIONAL_COMMISSION: _l("National commission"),
    AgencyKind.POLICE: _l("Police"),
    AgencyKind.GENDARMERIE: _l("Gendarmerie"),
    AgencyKind.CUSTOMS: _l("Customs"),
    AgencyKind.NCB: _l("INTERPOL National Central Bureau"),
    AgencyKind.OTHER: _l("Other"),
}


class Agency(db.Model):
    __tablename__ = "agency"
    # What a record's (agency_id, country_code) refers to: a record is of its agency's state.
    __table_args__ = (UniqueConstraint("id", "country_code", name="uq_agency_id_country_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), index=True)
    kind: Mapped[AgencyKind] = mapped_column(enum_column(AgencyKind))
    is_tracing_focal_point: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_import_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_trace_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Who answers about its records (office, telephone, e-mail): shown to the other states
    # the records are shared with, on the record and hit pages.
    tracing_contact: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    country: Mapped[Country] = relationship(lazy="joined")
    partners: Mapped[list["AgencyPartner"]] = relationship(
        back_populates="agency", cascade="all, delete-orphan"
    )

    @property
    def partner_country_codes(self) -> list[str]:
        return sorted(partner.country_code for partner in self.partners)

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"


class AgencyPartner(db.Model):
    """A state an agency chooses to share its 'partners' records with."""

    __tablename__ = "agency_partner"
    __table_args__ = (UniqueConstraint("agency_id", "country_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"))

    agency: Mapped[Agency] = relationship(back_populates="partners")


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Changing it (new password, deactivation) ends every open session of the user.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Second factor (TOTP): the shared secret once enrolment is confirmed, and the last
    # time step accepted, so that a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    agency: Mapped[Agency] = relationship(lazy="joined")

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active and self.agency.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def country_code(self) -> str:
        return self.agency.country_code

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the token may do ("read", or "read write") and until when: a script that only
    # reads holds a token that cannot change anything, and no token lives for ever.
    scopes: Mapped[str] = mapped_column(String(50), default="read")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

class UserSession(db.Model):
    """One logged-in browser. The cookie holds a random token whose SHA-256 is kept here;
    each request finds its record, so ending it (logout, new password, role change,
    deactivation, "end this session") refuses the cookie in every app process at once."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    remote_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """One of the ten single-use codes that replace the authenticator app when it is lost.
    Only a hash is kept; the codes are shown once."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountLink(db.Model):
    """A single-use link sent by e-mail: to choose a new password (reset, one hour) or a
    first one (invitation, seven days). Only the SHA-256 of its token is kept."""

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # "reset" or "invitation"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
