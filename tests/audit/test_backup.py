"""Backups that restore: `flask registry backup DIR` then `flask registry restore DIR`
into a fresh database give the same rows, files and an intact audit chain; a restore into
a database that is not empty, or from a damaged backup, is refused and changes nothing.
On PostgreSQL (TEST_DATABASE_URL) the same through pg_dump and pg_restore."""

import io
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from PIL import Image

from registry.audit import backup
from registry.extensions import db
from registry.weapons.photos import add_photo
from registry.weapons.service import create_weapon
from tests.scratch import scratch_postgres


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (20, 20, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def registry_with_photo(app, world):
    officer = world["ML"].user("officer")
    weapon = create_weapon(officer, status="seized", raw_serial="BK-2026-77")
    photo = add_photo(officer, weapon, _png(), "front.png")
    db.session.commit()
    return photo


@pytest.fixture
def fresh_database(migrated_database, tmp_path):
    """The URL of a new, empty database of the same kind as the suite's."""
    if migrated_database.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    with scratch_postgres(os.environ["TEST_DATABASE_URL"], prefix="registry_restore") as url:
        yield url


def _rows(engine) -> dict:
    with engine.connect() as connection:
        return {table.name: sorted(tuple(str(value) for value in row)
                                   for row in connection.execute(sa.select(table)))
                for table in db.metadata.sorted_tables}


def _flask(database_url: str, uploads, *args: str) -> subprocess.CompletedProcess:
    """`flask ARGS` run as an operator runs it, on another database and upload folder."""
    environment = dict(os.environ, FLASK_APP="registry", REGISTRY_DATABASE_URL=database_url,
                       REGISTRY_UPLOAD_FOLDER=str(uploads), REGISTRY_INSTANCE_PATH=str(uploads.parent),
                       REGISTRY_SECRET_KEY="restore-test")
    return subprocess.run([sys.executable, "-m", "flask", *args], env=environment,
                          capture_output=True, text=True, timeout=300)


def test_a_backup_restores_into_a_fresh_database_with_the_same_rows_files_and_audit(
        app, registry_with_photo, fresh_database, tmp_path):
    folder = tmp_path / "backup-1"
    result = app.test_cli_runner().invoke(args=["registry", "backup", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output
    original = _rows(db.engine)

    uploads = tmp_path / "elsewhere" / "uploads"
    restored = _flask(fresh_database, uploads, "registry", "restore", str(folder))
    assert restored.returncode == 0, restored.stderr
    assert "audit chain intact" in restored.stdout
    verify = _flask(fresh_database, uploads, "audit", "verify")
    assert verify.returncode == 0 and "Audit chain intact" in verify.stdout
    engine = sa.create_engine(fresh_database)
    try:
        assert _rows(engine) == original
    finally:
        engine.dispose()
    assert (uploads / "weapons" / registry_with_photo.stored_name).read_bytes() == _png()


def test_a_restore_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(
        app, registry_with_photo, tmp_path):
    folder = tmp_path / "backup-2"
    assert app.test_cli_runner().invoke(args=["registry", "backup", str(folder)]).exit_code == 0
    before = _rows(db.engine)
    result = app.test_cli_runner().invoke(args=["registry", "restore", str(folder)])
    assert result.exit_code != 0
    assert "The database is not empty" in result.output and "Nothing was changed." in result.output
    assert _rows(db.engine) == before


def test_a_damaged_backup_is_refused_before_anything_changes(
        app, registry_with_photo, fresh_database, tmp_path):
    folder = tmp_path / "backup-3"
    assert app.test_cli_runner().invoke(args=["registry", "backup", str(folder)]).exit_code == 0
    photo = folder / "uploads" / "weapons" / registry_with_photo.stored_name
    photo.write_bytes(photo.read_bytes()[:-5] + b"XXXXX")
    uploads = tmp_path / "elsewhere" / "uploads"
    result = _flask(fresh_database, uploads, "registry", "restore", str(folder))
    assert result.returncode != 0
    assert "Damaged backup" in result.stderr and registry_with_photo.stored_name in result.stderr
    engine = sa.create_engine(fresh_database)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    assert not uploads.exists()


def test_a_backup_goes_only_into_a_new_folder(app, registry_with_photo, tmp_path):
    folder = tmp_path / "backup-4"
    folder.mkdir()
    (folder / "something.txt").write_text("kept")
    result = app.test_cli_runner().invoke(args=["registry", "backup", str(folder)])
    assert result.exit_code != 0 and "is not empty" in result.output
    assert [path.name for path in folder.iterdir()] == ["something.txt"]


def test_the_manifest_lists_counts_and_checksums(app, registry_with_photo, tmp_path):
    manifest = backup.backup(tmp_path / "backup-5")
    assert manifest["counts"]["weapon_photo"] >= 1
    assert manifest["audit"]["last_sequence"] > 0
    assert any(name.startswith("uploads/weapons/") for name in manifest["files"])
    assert backup.read_checked_manifest(tmp_path / "backup-5")["counts"] == manifest["counts"]
