"""The reference table: canonical makes, models, calibres and weapon types, their aliases,
and a version counter that tells every process when its identification engine is stale.

The reference table is shared by every country: it holds no record of anyone. Aliases
learnt from one country's review (`country_code` set) are used only for that country's
identifications; aliases with no country are global.
"""

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import BilingualName, UTCDateTime, db, utcnow

model_calibre = Table(
    "reference_model_calibre",
    db.metadata,
    Column("model_id", ForeignKey("reference_model.id", ondelete="CASCADE"), primary_key=True),
    Column("calibre_id", ForeignKey("reference_calibre.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class WeaponType(BilingualName, db.Model):
    __tablename__ = "reference_weapon_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(120), unique=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    # For Arabic readers; a type without one is shown to them by its French name.
    name_ar: Mapped[str | None] = mapped_column(String(120))

    aliases: Mapped[list["Alias"]] = relationship(
        primaryjoin="Alias.type_id == WeaponType.id", viewonly=True, order_by="Alias.alias")

    def __repr__(self) -> str:
        return f"<WeaponType {self.code}>"


class Make(db.Model):
    __tablename__ = "reference_make"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Country of manufacture (where the maker is).
    country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    models: Mapped[list["Model"]] = relationship(back_populates="make", order_by="Model.name")
    aliases: Mapped[list["Alias"]] = relationship(
        primaryjoin="Alias.make_id == Make.id", viewonly=True, order_by="Alias.alias")

    def __repr__(self) -> str:
        return f"<Make {self.code}>"


class Calibre(db.Model):
    __tablename__ = "reference_calibre"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    aliases: Mapped[list["Alias"]] = relationship(
        primaryjoin="Alias.calibre_id == Calibre.id", viewonly=True, order_by="Alias.alias")

    def __repr__(self) -> str:
        return f"<Calibre {self.code}>"


class Model(db.Model):
    __tablename__ = "reference_model"
    __table_args__ = (UniqueConstraint("make_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    make_id: Mapped[int] = mapped_column(ForeignKey("reference_make.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    type_id: Mapped[int | None] = mapped_column(ForeignKey("reference_weapon_type.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    make: Mapped[Make] = relationship(back_populates="models")
    type: Mapped[WeaponType | None] = relationship()
    calibres: Mapped[list[Calibre]] = relationship(secondary=model_calibre, order_by="Calibre.name")
    aliases: Mapped[list["Alias"]] = relationship(
        primaryjoin="Alias.model_id == Model.id", viewonly=True, order_by="Alias.alias")

    def __repr__(self) -> str:
        return f"<Model {self.code}>"


class Alias(db.Model):
    """Another spelling of a make, model, calibre or type: exactly one target is set.

    `normalized` is the spelling passed through `normalize.key()`, the form the engine
    compares. `country_code` empty: the alias holds everywhere; set: it was learnt from
    that country's review and holds for that country only.
    """

    __tablename__ = "reference_alias"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN make_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN model_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN calibre_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN type_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        Index("ix_reference_alias_normalized", "normalized"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(200))
    normalized: Mapped[str] = mapped_column(String(200))
    make_id: Mapped[int | None] = mapped_column(ForeignKey("reference_make.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("reference_model.id", ondelete="CASCADE"), index=True)
    calibre_id: Mapped[int | None] = mapped_column(ForeignKey("reference_calibre.id", ondelete="CASCADE"),
                                                   index=True)
    type_id: Mapped[int | None] = mapped_column(ForeignKey("reference_weapon_type.id", ondelete="CASCADE"),
                                                index=True)
    country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"), index=True)
    # "table" (starter table or a loaded spreadsheet), "admin" (added on a page), "review" (learnt).
    origin: Mapped[str] = mapped_column(String(16), default="table")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def field(self) -> str:
        for name in ("make", "model", "calibre", "type"):
            if getattr(self, f"{name}_id") is not None:
                return name
        raise ValueError("alias without a target")

    @property
    def target_id(self) -> int:
        return getattr(self, f"{self.field}_id")

    def __repr__(self) -> str:
        return f"<Alias {self.alias!r} -> {self.field} {self.target_id} {self.country_code or '*'}>"


class ReferenceMerge(db.Model):
    """A merge of a duplicate make into the make kept, with what it moved (its models, its
    aliases, the records re-pointed: the undo journal), so that it can be undone.

    The makes are named by id without a foreign key: a merge re-points every foreign key
    to the duplicate, and this row must keep naming the make it removed."""

    __tablename__ = "reference_merge"

    id: Mapped[int] = mapped_column(primary_key=True)
    field: Mapped[str] = mapped_column(String(16), default="make")
    kept_id: Mapped[int] = mapped_column(Integer, index=True)
    kept_name: Mapped[str] = mapped_column(String(120))
    duplicate_id: Mapped[int] = mapped_column(Integer)
    duplicate_name: Mapped[str] = mapped_column(String(120))
    journal: Mapped[dict] = mapped_column(JSON)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    merged_by = relationship("User", foreign_keys=[merged_by_id])

    @property
    def moved_counts(self) -> dict[str, int]:
        """How many models, aliases and records the merge moved."""
        journal = self.journal or {}
        repointed = journal.get("repointed") or {}
        models = len(repointed.get("reference_model.make_id", [])) + len(journal.get("models") or [])
        aliases = len(repointed.get("reference_alias.make_id", [])) + sum(
            len((item.get("repointed") or {}).get("reference_alias.model_id", [])) for item in journal.get("models") or [])
        records = sum(len(ids) for where, ids in repointed.items() if not where.startswith("reference_"))
        return {"models": models, "aliases": aliases, "records": records}

    def __repr__(self) -> str:
        return f"<ReferenceMerge {self.duplicate_name!r} -> {self.kept_name!r}>"


class ReferenceVersion(db.Model):
    """One row: bumped by every change to the reference table, so that every process
    rebuilds its identification engine on its next use."""

    __tablename__ = "reference_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
