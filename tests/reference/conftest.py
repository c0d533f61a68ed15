import pytest

from registry.extensions import db
from registry.reference.cli import load_starter_table
from registry.reference.engine import forget_identifiers


@pytest.fixture
def starter(app):
    """The starter reference table, loaded as `flask registry init` loads it."""
    forget_identifiers()
    load_starter_table()
    db.session.commit()
    yield
    forget_identifiers()
