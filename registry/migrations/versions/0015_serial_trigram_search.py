"""partial serials are found through an index of the keys' trigrams: pg_trgm on PostgreSQL,
an FTS5 trigram table kept by triggers on SQLite

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 03:10:00

"""
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# The SQLite table reads the keys from weapon itself (external content): the triggers tell
# it each key added, changed or removed. A later migration that rebuilds the weapon table
# (batch mode) drops these triggers and must create them again.
SQLITE_UP = [
    "CREATE VIRTUAL TABLE weapon_serial_trigram USING fts5("
    "serial_key, content='weapon', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER weapon_serial_trigram_insert AFTER INSERT ON weapon "
    "WHEN new.serial_key IS NOT NULL BEGIN "
    "INSERT INTO weapon_serial_trigram(rowid, serial_key) VALUES (new.id, new.serial_key); END",
    "CREATE TRIGGER weapon_serial_trigram_delete AFTER DELETE ON weapon "
    "WHEN old.serial_key IS NOT NULL BEGIN "
    "INSERT INTO weapon_serial_trigram(weapon_serial_trigram, rowid, serial_key) "
    "VALUES ('delete', old.id, old.serial_key); END",
    "CREATE TRIGGER weapon_serial_trigram_update AFTER UPDATE OF serial_key ON weapon "
    "WHEN old.serial_key IS NOT new.serial_key BEGIN "
    "INSERT INTO weapon_serial_trigram(weapon_serial_trigram, rowid, serial_key) "
    "SELECT 'delete', old.id, old.serial_key WHERE old.serial_key IS NOT NULL; "
    "INSERT INTO weapon_serial_trigram(rowid, serial_key) "
    "SELECT new.id, new.serial_key WHERE new.serial_key IS NOT NULL; END",
    "INSERT INTO weapon_serial_trigram(rowid, serial_key) "
    "SELECT id, serial_key FROM weapon WHERE serial_key IS NOT NULL",
]


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_weapon_serial_key_trigram", "weapon", ["serial_key"],
                        postgresql_using="gin", postgresql_ops={"serial_key": "gin_trgm_ops"})
    elif op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index("ix_weapon_serial_key_trigram", table_name="weapon")
    elif op.get_bind().dialect.name == 'sqlite':
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER weapon_serial_trigram_{name}")
        op.execute("DROP TABLE weapon_serial_trigram")
