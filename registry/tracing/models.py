"""Trace requests between states (docs/trace-workflow.md): the request and its ITI content,
the weapons it is about (frozen as they were when sent), the thread of messages, the
attachments and the history of its states."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.auth.models import Agency, Country, User, enum_column
from registry.extensions import UTCDateTime, db, utcnow
from registry.tracing.workflow import Outcome, Reason, Status, Urgency, is_overdue


class TraceRequest(db.Model):
    __tablename__ = "trace_request"
    __table_args__ = (
        # The reference number is unique per requesting country and year (TR-ML-2026-0042).
        UniqueConstraint("requesting_country_code", "reference_year", "sequence_number",
                         name="uq_trace_request_number"),
        Index("ix_trace_request_requested", "requested_country_code", "status"),
        Index("ix_trace_request_requesting", "requesting_country_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    reference_year: Mapped[int] = mapped_column(Integer)
    sequence_number: Mapped[int] = mapped_column(Integer)

    requesting_country_code: Mapped[str] = mapped_column(ForeignKey("country.code"))
    requesting_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_country_code: Mapped[str] = mapped_column(ForeignKey("country.code"))
    requested_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)

    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.DRAFT)
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency), default=Urgency.NORMAL)

    # What the International Tracing Instrument asks a request to carry.
    illicit_reason: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    recovery_circumstances: Mapped[str] = mapped_column(Text, default="")
    information_sought: Mapped[str] = mapped_column(Text, default="")
    intended_use: Mapped[str] = mapped_column(Text, default="")
    confidentiality: Mapped[str] = mapped_column(Text, default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledge_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which deadline was last reminded ("acknowledge" or "answer"), so a reminder goes once.
    reminded_for: Mapped[str | None] = mapped_column(String(16))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The answer, or the reason for restricting or declining it.
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    reason: Mapped[Reason | None] = mapped_column(enum_column(Reason))
    reason_note: Mapped[str] = mapped_column(Text, default="")
    answer_text: Mapped[str] = mapped_column(Text, default="")
    last_legal_holder: Mapped[str] = mapped_column(String(300), default="")
    last_legal_holder_country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"))
    exporter: Mapped[str] = mapped_column(String(300), default="")
    exporter_country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"))
    export_date: Mapped[date | None] = mapped_column(Date)
    importer: Mapped[str] = mapped_column(String(300), default="")
    importer_country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"))
    import_date: Mapped[date | None] = mapped_column(Date)

    requesting_agency: Mapped[Agency] = relationship(foreign_keys=[requesting_agency_id], lazy="joined")
    requested_agency: Mapped[Agency] = relationship(foreign_keys=[requested_agency_id], lazy="joined")
    requesting_country: Mapped[Country] = relationship(foreign_keys=[requesting_country_code])
    requested_country: Mapped[Country] = relationship(foreign_keys=[requested_country_code])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    weapons: Mapped[list["TraceWeapon"]] = relationship(
        back_populates="trace_request", cascade="all, delete-orphan", order_by="TraceWeapon.id")
    messages: Mapped[list["TraceMessage"]] = relationship(
        back_populates="trace_request", cascade="all, delete-orphan", order_by="TraceMessage.id")
    attachments: Mapped[list["TraceAttachment"]] = relationship(
        back_populates="trace_request", cascade="all, delete-orphan", order_by="TraceAttachment.id")
    events: Mapped[list["TraceEvent"]] = relationship(
        back_populates="trace_request", cascade="all, delete-orphan", order_by="TraceEvent.id")

    def overdue(self, now: datetime | None = None) -> bool:
        return is_overdue(self.status, now or utcnow(), self.acknowledge_due, self.answer_due)

    def __repr__(self) -> str:
        return f"<TraceRequest {self.reference}>"


class TraceReferenceCounter(db.Model):
    """The last request number given per requesting country and year (TR-ML-2026-0042)."""

    __tablename__ = "trace_reference_counter"

    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class TraceWeapon(db.Model):
    """A weapon of a request, with a copy of its description and markings frozen at sending,
    so the other side reads what was asked even if the record changes later."""

    __tablename__ = "trace_weapon"
    __table_args__ = (UniqueConstraint("trace_request_id", "weapon_id", name="uq_trace_weapon_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trace_request_id: Mapped[int] = mapped_column(
        ForeignKey("trace_request.id", ondelete="CASCADE"), index=True)
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapon.id"), index=True)
    description: Mapped[dict] = mapped_column(JSON, default=dict)

    trace_request: Mapped[TraceRequest] = relationship(back_populates="weapons")


class TraceMessage(db.Model):
    __tablename__ = "trace_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    trace_request_id: Mapped[int] = mapped_column(
        ForeignKey("trace_request.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trace_request: Mapped[TraceRequest] = relationship(back_populates="messages")
    author: Mapped[User] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")


class TraceAttachment(db.Model):
    """A PDF or image sent by one side. The file lives under UPLOAD_FOLDER, named by its hash."""

    __tablename__ = "trace_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    trace_request_id: Mapped[int] = mapped_column(
        ForeignKey("trace_request.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_path: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trace_request: Mapped[TraceRequest] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")


class TraceEvent(db.Model):
    """One line of a request's history: who moved it, when, from which state to which."""

    __tablename__ = "trace_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    trace_request_id: Mapped[int] = mapped_column(
        ForeignKey("trace_request.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")

    trace_request: Mapped[TraceRequest] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship(lazy="joined")
    agency: Mapped[Agency | None] = relationship(lazy="joined")


from registry.tracing import scoping  # noqa: E402,F401  (registers the scope rule)
