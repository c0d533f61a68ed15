"""Imports: one uploaded spreadsheet, its rows, and each agency's last column mapping."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from registry.auth.models import enum_column
from registry.extensions import UTCDateTime, db, utcnow
from registry.weapons.models import Sharing, Weapon, WeaponStatus


class ImportStatus(enum.StrEnum):
    UPLOADED = "uploaded"
    ANALYSING = "analysing"
    REVIEW = "review"
    APPROVED = "approved"
    COMMITTING = "committing"
    COMMITTED = "committed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return IMPORT_STATUS_LABELS[self]


IMPORT_STATUS_LABELS = {
    ImportStatus.UPLOADED: _l("Uploaded"),
    ImportStatus.ANALYSING: _l("Analysing"),
    ImportStatus.REVIEW: _l("To review"),
    ImportStatus.APPROVED: _l("Approved"),
    ImportStatus.COMMITTING: _l("Writing records"),
    ImportStatus.COMMITTED: _l("Committed"),
    ImportStatus.FAILED: _l("Failed"),
    ImportStatus.CANCELLED: _l("Cancelled"),
}

# The state machine: from -> the states it may go to.
TRANSITIONS = {
    ImportStatus.UPLOADED: {ImportStatus.ANALYSING, ImportStatus.CANCELLED, ImportStatus.FAILED},
    ImportStatus.ANALYSING: {ImportStatus.REVIEW, ImportStatus.FAILED, ImportStatus.CANCELLED,
                             ImportStatus.UPLOADED},
    ImportStatus.REVIEW: {ImportStatus.APPROVED, ImportStatus.COMMITTING, ImportStatus.ANALYSING,
                          ImportStatus.CANCELLED},
    ImportStatus.APPROVED: {ImportStatus.COMMITTING, ImportStatus.REVIEW, ImportStatus.CANCELLED},
    ImportStatus.COMMITTING: {ImportStatus.COMMITTED, ImportStatus.FAILED, ImportStatus.COMMITTING},
    # A failed commit is run again; nothing is written twice.
    ImportStatus.FAILED: {ImportStatus.COMMITTING, ImportStatus.ANALYSING, ImportStatus.CANCELLED},
    ImportStatus.COMMITTED: set(),
    ImportStatus.CANCELLED: set(),
}


class Import(db.Model):
    __tablename__ = "import_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(8))
    stored_path: Mapped[str] = mapped_column(String(500))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sheet_names: Mapped[list] = mapped_column(JSON, default=list)
    sheet_name: Mapped[str | None] = mapped_column(String(255))
    header_row: Mapped[int | None] = mapped_column(Integer)
    titles: Mapped[list | None] = mapped_column(JSON)
    # Column index (as text, JSON keys) -> field
    column_mapping: Mapped[dict | None] = mapped_column(JSON)
    # The columns with data that no field takes, found by the analysis, each with its
    # title, a few of its values and whether the user chose to ignore it:
    # [{"index", "title", "samples", "filled", "ignored"}]
    unmapped_columns: Mapped[list | None] = mapped_column(JSON)
    counts: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus), default=ImportStatus.UPLOADED)
    # What the records written take: their sharing, and their status where the sheet names none.
    sharing: Mapped[Sharing] = mapped_column(enum_column(Sharing), default=Sharing.NATIONAL,
                                             server_default=Sharing.NATIONAL.value)
    default_status: Mapped[WeaponStatus] = mapped_column(enum_column(WeaponStatus), default=WeaponStatus.SEIZED,
                                                         server_default=WeaponStatus.SEIZED.value)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[str | None] = mapped_column(String(64))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    agency = relationship("Agency", lazy="joined")
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0 if self.status in (ImportStatus.UPLOADED, ImportStatus.ANALYSING) else 100
        return min(100, int(100 * self.progress_done / self.progress_total))

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.ANALYSING, ImportStatus.COMMITTING)

    @property
    def mapping(self) -> dict[int, str]:
        return {int(index): name for index, name in (self.column_mapping or {}).items()}

    @property
    def undecided_columns(self) -> list[dict]:
        """The columns with data that no field takes and that nobody chose to ignore."""
        return [column for column in self.unmapped_columns or [] if not column.get("ignored")]

    def __repr__(self) -> str:
        return f"<Import {self.id} {self.file_name}>"


class ImportRow(db.Model):
    __tablename__ = "import_row"
    __table_args__ = (UniqueConstraint("import_id", "row_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("import_file.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)  # as Excel shows it
    cells: Mapped[list] = mapped_column(JSON)
    values: Mapped[dict] = mapped_column(JSON)
    identification: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    messages: Mapped[list] = mapped_column(JSON, default=list)
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    # The record a committed row became is the one whose import_row_id names the row (a
    # unique column): read from there, never copied here, so the two cannot disagree and
    # the commit writes nothing back into its rows.
    weapon_id: Mapped[int | None] = column_property(
        select(Weapon.id).where(Weapon.import_row_id == id).correlate_except(Weapon).scalar_subquery())
    weapon_reference: Mapped[str | None] = column_property(
        select(Weapon.reference).where(Weapon.import_row_id == id).correlate_except(Weapon).scalar_subquery())

    import_file = relationship(Import)


class ImportMapping(db.Model):
    """The column mapping an agency last used, by column title, offered for its next import."""

    __tablename__ = "import_mapping"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True)
    mapping: Mapped[dict] = mapped_column(JSON)  # column title -> field
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


from registry.imports import scoping  # noqa: E402,F401  (registers the scope rules)
