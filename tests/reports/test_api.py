"""`GET /api/v1/statistics`: a state's figures for its own systems, as the statistics page
and `flask reports summary` count them; another state's figures refused."""

from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.auth.service import create_api_token
from registry.extensions import db
from registry.weapons.service import create_weapon


def bearer(user) -> dict:
    _token, plain = create_api_token(user, "figures", scopes=("read",))
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_a_state_reads_its_figures_of_the_year_and_never_another_states(client, world, reference):
    officer = world["ML"].user("officer")
    for serial, status, day in (("ST-1", "seized", "2024-02-03"), ("ST-2", "seized", "2024-05-06"),
                                ("ST-3", "found", "2024-05-20"), ("ST-4", "seized", "2023-12-31")):
        create_weapon(officer, status=status, raw_serial=serial, raw_make="Beretta", raw_type="pistol",
                      event_date=day)
    db.session.commit()
    mali = bearer(world["ML"].user("viewer"))
    response = client.get("/api/v1/statistics", headers=mali, query_string={"year": 2024})
    assert response.status_code == 200, response.json
    figures = response.json
    assert figures["total"] == 3
    assert figures["by_status"]["seized"] == 2 and figures["by_status"]["found"] == 1
    assert figures["by_month"]["2024-05"] == 2
    assert figures["sdg_16_4_2"]["denominator"] == 3 and figures["sdg_16_4_2"]["value"] == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.statistics")).one()
    assert event.details["via"] == "api" and event.details["total"] == 3

    refused = client.get("/api/v1/statistics", headers=mali, query_string={"state": "NE"})
    assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
    assert refused.json["field"] == "state" and "propre État" in refused.json["detail"]
    assert "total" not in refused.json
    everyone = client.get("/api/v1/statistics", headers=bearer(world["ML"].user("platform_admin")),
                          query_string={"state": "all", "year": 2024})
    assert everyone.status_code == 200 and everyone.json["total"] == 3
