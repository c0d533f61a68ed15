"""Backups that restore: `flask registry backup DIR` and `flask registry restore DIR`.

A backup folder holds a consistent copy of the database (SQLite: the online backup API,
so the app may keep writing; PostgreSQL: `pg_dump` custom format, taken in the snapshot
the row counts are read in), a copy of the uploads (photos, trace attachments) and
`manifest.json`: the SHA-256 of every file, the row count of every table, the schema
revision and the last audit event. A restore checks every checksum before it changes
anything, goes only into an empty database and an empty upload folder, then checks
what it restored: the audit chain, the counts and the files."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import make_url

from registry.extensions import db, utcnow

MANIFEST = "manifest.json"
SQLITE_FILE = "registry.sqlite"
POSTGRES_FILE = "registry.dump"
UPLOADS = "uploads"
FORMAT = 1


class BackupError(Exception):
    """The backup or the restore cannot go on; nothing was changed."""


@dataclass
class RestoreReport:
    events_checked: int = 0
    counts: dict = field(default_factory=dict)
    files: int = 0
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files_under(root: Path) -> dict[str, str]:
    """relative path -> SHA-256 of every file under `root`."""
    if not root.exists():
        return {}
    return {path.relative_to(root).as_posix(): _sha256(path)
            for path in sorted(root.rglob("*")) if path.is_file()}


def _tables() -> list[sa.Table]:
    return [table for table in db.metadata.sorted_tables]


def _counts(connection) -> dict[str, int]:
    return {table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in _tables()}


def _audit_head(connection) -> dict:
    from registry.audit.models import AuditEvent

    row = connection.execute(sa.select(AuditEvent.sequence, AuditEvent.hash)
                             .order_by(AuditEvent.sequence.desc()).limit(1)).first()
    return {"last_sequence": row[0] if row else 0, "last_hash": row[1] if row else None}


def _revision(connection) -> str | None:
    try:
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError:
        return None


def libpq_url(url) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore read it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _check_pg_tools(connection, tool: str) -> None:
    server = connection.execute(sa.text("SHOW server_version_num")).scalar_one()
    try:
        output = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise BackupError(f"{tool} is not installed or does not run: {error}") from None
    client_major = int(output.split()[-1].split(".")[0])
    server_major = int(server) // 10000
    if client_major < server_major:
        raise BackupError(f"{tool} {client_major} is older than the PostgreSQL server "
                          f"({server_major}): install the client of the server's version.")


def backup(target: Path) -> dict:
    """Write a backup of the database and the uploads into the folder `target` (absent or
    empty); returns the manifest."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: give a new folder for each backup.")
    target.mkdir(parents=True, exist_ok=True)
    engine = db.engine
    manifest = {"format": FORMAT, "created_at": utcnow().isoformat(), "database": engine.dialect.name}
    if engine.dialect.name == "sqlite":
        database_file = target / SQLITE_FILE
        source = engine.raw_connection()
        try:
            copy = sqlite3.connect(database_file)
            source.driver_connection.backup(copy)  # a consistent copy while others write
            copy.close()
        finally:
            source.close()
        copy_engine = sa.create_engine(f"sqlite:///{database_file}")
        with copy_engine.connect() as connection:
            manifest |= {"revision": _revision(connection), "counts": _counts(connection),
                         "audit": _audit_head(connection)}
        copy_engine.dispose()
    elif engine.dialect.name == "postgresql":
        with engine.connect() as checking:
            _check_pg_tools(checking, "pg_dump")
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            # pg_dump reads the very snapshot the counts are read in.
            snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            manifest |= {"revision": _revision(connection), "counts": _counts(connection),
                         "audit": _audit_head(connection)}
            result = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot}", f"--file={target / POSTGRES_FILE}",
                 f"--dbname={libpq_url(engine.url)}"], capture_output=True, text=True)
            connection.rollback()
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    else:
        raise BackupError(f"No backup for the {engine.dialect.name} database.")
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    if uploads.exists():
        shutil.copytree(uploads, target / UPLOADS, ignore=shutil.ignore_patterns("*.part"))
    manifest["files"] = _files_under(target)
    _write_manifest(target, manifest)
    return manifest


def _write_manifest(target: Path, manifest: dict) -> None:
    partial = target / (MANIFEST + ".part")
    partial.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(partial, target / MANIFEST)


def read_checked_manifest(source: Path) -> dict:
    """The manifest of the backup in `source`, once every file it lists is there with its
    checksum and no other file was added; BackupError otherwise."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source} holds no readable {MANIFEST}: not a backup, or a damaged one.") from None
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{MANIFEST} is not one this registry writes.")
    found = {name: digest for name, digest in _files_under(source).items() if name != MANIFEST}
    damaged = sorted(name for name in set(found) | set(manifest["files"])
                     if found.get(name) != manifest["files"].get(name))
    if damaged:
        raise BackupError("Damaged backup: these files are missing, changed or extra: "
                          + ", ".join(damaged[:10]) + (" ..." if len(damaged) > 10 else ""))
    return manifest


def restore(source: Path) -> RestoreReport:
    """Restore the backup in `source` into the configured database, which must be empty
    (no tables), and the upload folder, which must be empty; then check it."""
    source = Path(source)
    manifest = read_checked_manifest(source)
    engine = db.engine
    if manifest["database"] != engine.dialect.name:
        raise BackupError(f"This is a {manifest['database']} backup; the registry's database "
                          f"is {engine.dialect.name}.")
    existing = sa.inspect(engine).get_table_names()
    if existing:
        raise BackupError(f"The database is not empty ({len(existing)} tables): a backup is "
                          "restored into a new, empty database only.")
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    if uploads.exists() and any(uploads.iterdir()):
        raise BackupError(f"The upload folder {uploads} is not empty.")
    if engine.dialect.name == "sqlite":
        backup_copy = sqlite3.connect(source / SQLITE_FILE)
        target = engine.raw_connection()
        try:
            backup_copy.backup(target.driver_connection)
        finally:
            target.close()
            backup_copy.close()
    else:
        with engine.connect() as connection:
            _check_pg_tools(connection, "pg_restore")
        result = subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             f"--dbname={libpq_url(engine.url)}", str(source / POSTGRES_FILE)],
            capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed, nothing was restored: {result.stderr.strip()}")
    engine.dispose()
    if (source / UPLOADS).exists():
        # Copied beside the folder first, then moved in: never a half-copied folder.
        uploads.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=uploads.parent))
        shutil.copytree(source / UPLOADS, staging / UPLOADS)
        if uploads.exists():
            uploads.rmdir()
        os.replace(staging / UPLOADS, uploads)
        staging.rmdir()
    return check_restored(manifest)


def _revision_now() -> str | None:
    with db.engine.connect() as connection:
        return _revision(connection)


def check_restored(manifest: dict) -> RestoreReport:
    """Compare what the database and the upload folder hold with the manifest, and walk
    the audit chain."""
    from registry.audit.service import verify_chain

    report = RestoreReport()
    db.session.remove()
    with db.engine.connect() as connection:
        report.counts = _counts(connection)
        head = _audit_head(connection)
    for table, expected in manifest["counts"].items():
        if report.counts.get(table) != expected:
            report.problems.append(f"table {table}: {report.counts.get(table)} rows, "
                                   f"{expected} in the backup")
    if _revision_now() != manifest.get("revision"):
        report.problems.append("the schema revision differs from the backup's")
    if head != manifest["audit"]:
        report.problems.append("the last audit event differs from the backup's")
    chain = verify_chain()
    report.events_checked = chain.checked
    if not chain.ok:
        report.problems.append(f"audit chain broken at event #{chain.broken_sequence}: {chain.reason}")
    restored = _files_under(Path(current_app.config["UPLOAD_FOLDER"]))
    expected_files = {name.removeprefix(UPLOADS + "/"): digest
                      for name, digest in manifest["files"].items() if name.startswith(UPLOADS + "/")}
    report.files = len(restored)
    if restored != expected_files:
        report.problems.append("the restored uploads differ from the backup's")
    return report
