"""Who reads the audit log: a supervisor its agency's events, never another agency's."""

from registry.audit.service import record
from registry.extensions import db


def test_a_supervisor_reads_the_audit_of_its_agency_only(world, login_as):
    record("weapon.view", "weapon", 1, {"reference": "ML-AUDIT-1"}, user=world["ML"].user("officer"))
    record("weapon.view", "weapon", 2, {"reference": "NE-AUDIT-2"}, user=world["NE"].user("officer"))
    db.session.commit()
    page = login_as(world["ML"].user("supervisor")).client.get("/audit/").get_data(as_text=True)
    assert "ML-AUDIT-1" in page
    assert "NE-AUDIT-2" not in page
