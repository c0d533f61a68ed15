"""Records of Mali, Niger and Burkina Faso whose figures the tests know by heart."""

from registry.extensions import db
from registry.weapons.service import create_weapon


def record(user, **fields):
    values = {"status": "seized", "sharing": "national"} | fields
    return create_weapon(user, **values)


def mali_year(world):
    """2024 in Mali: three seized AK-47s in two regions, a found Beretta, a surrendered
    antique; and a record of 2023. Niger has a seizure in 2024 too."""
    officer = world["ML"].user("officer")
    weapons = [
        record(officer, raw_make="Kalachnikov", raw_model="AK 47", raw_serial="KA-1", event_date="2024-01-05",
               event_region="Région de Tombouctou", manufacture_country_code="RU"),
        record(officer, raw_make="Kalashnikov", raw_model="AK-47", raw_serial="KA-2", event_date="2024-01-20",
               event_region="Timbuktu"),
        record(officer, raw_make="Kalachnikov", raw_model="AK47", raw_serial="KA-3", event_date="2024-03-02",
               event_region="Gao"),
        record(officer, status="found", raw_make="Beretta", raw_model="92", raw_serial="B-1",
               event_date="2024-06-11", event_region="Nowhereland"),
        record(officer, status="surrendered", raw_make="Mosin-Nagant", raw_model="M1891/30", raw_serial="MN-1",
               marking_year="1891", event_date="2024-07-01"),
        record(officer, raw_make="Beretta", raw_model="92", raw_serial="B-OLD", event_date="2023-05-01"),
    ]
    record(world["NE"].user("officer"), raw_make="Beretta", raw_model="92", raw_serial="NE-B-1",
           event_date="2024-02-02", event_region="Tillabéri")
    db.session.commit()
    return weapons
