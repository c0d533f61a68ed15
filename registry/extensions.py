"""The Flask extensions, created once and bound to the app in create_app()."""

from datetime import UTC, datetime

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A moment in time, stored as naive UTC on every database, read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC moment is expected")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class BilingualName:
    """For rows named in French and English (`name_fr`, `name_en`): `name` is the one in
    the reader's language, French unless the interface is in English. An Arabic reader
    gets `name_ar` where the row has one (countries), else the French name."""

    name_ar = None

    @property
    def name(self) -> str:
        from flask_babel import get_locale

        locale = get_locale()
        if locale is not None and locale.language == "en":
            return self.name_en
        if locale is not None and locale.language == "ar" and self.name_ar:
            return self.name_ar
        return self.name_fr


def utcnow() -> datetime:
    return datetime.now(UTC)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# One format in every language, day before month, as commissions write dates (not the
# US 11/23/26): `|dateformat` and `|datetimeformat` give it, in the reader's time zone.
babel = Babel(date_formats={
    "time": "short", "date": "short", "datetime": "short",
    "time.short": None, "time.medium": None, "time.full": None, "time.long": None,
    "date.short": "dd/MM/yyyy", "date.medium": None, "date.full": None, "date.long": None,
    "datetime.short": "dd/MM/yyyy HH:mm", "datetime.medium": None, "datetime.full": None,
    "datetime.long": None,
})
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, write-ahead log for readers beside a writer."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def bulk_insert(table, rows: list[dict]) -> None:
    """Insert many rows of `table` (dicts with the same keys) in the session's transaction.

    PostgreSQL (psycopg): one COPY, each value passed through its column type's bind
    processor (the same conversion an INSERT makes). A multi-row INSERT there spends its
    time in the parsing of tens of thousands of placeholders. Elsewhere: executemany.
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        connection.execute(table.insert(), rows)
        return
    columns = [table.c[name] for name in rows[0]]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    names = list(rows[0])
    quote = dialect.identifier_preparer
    copy_sql = (f"COPY {quote.format_table(table)} "
                f"({', '.join(quote.format_column(column) for column in columns)}) FROM STDIN")
    pairs = list(zip(names, processors, strict=True))
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row([process(row[name]) if process else row[name] for name, process in pairs])
