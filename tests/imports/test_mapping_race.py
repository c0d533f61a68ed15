"""Two analyses of one agency at once (one per sheet of a workbook) both remember the
agency's column mapping: neither fails on the other's row, the last one stays."""

import threading

from registry.extensions import db
from registry.imports.service import remember_mapping, saved_mapping
from tests.concurrency import run_concurrently


def test_two_analyses_remembering_the_mapping_at_once_both_succeed(app, world):
    agency_id = world["BF"].agency.id
    assert saved_mapping(agency_id) is None
    both_looked = threading.Barrier(2, timeout=20)

    def work(number: int) -> None:
        saved_mapping(agency_id)  # each finds no mapping yet, as two analyses starting together
        both_looked.wait()
        remember_mapping(agency_id, ["Marque", "N° de série"], {0: "make", 1: "serial"} if number
                         else {0: "make", 1: "model"})
        db.session.commit()

    assert run_concurrently(app, work, writers=2) == []
    db.session.expire_all()
    assert saved_mapping(agency_id) in ({"Marque": "make", "N° de série": "serial"},
                                        {"Marque": "make", "N° de série": "model"})
