import pytest

from registry.extensions import db


@pytest.fixture
def reference(app):
    """The starter reference table shipped with the registry."""
    from registry.reference.cli import STARTER_TABLE
    from registry.reference.service import load_reference_file

    load_reference_file(None, STARTER_TABLE, "starter.xlsx")
    db.session.commit()
