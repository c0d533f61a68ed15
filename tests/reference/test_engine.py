"""What the identification engine makes of what field units type."""

import pytest

from registry.extensions import db
from registry.reference import engine
from registry.reference.engine import get_identifier, identify
from registry.reference.models import Alias


@pytest.mark.parametrize(("make", "model", "calibre", "expected"), [
    ("Kalashnikov", "AK-47", "7.62x39mm", ("Kalashnikov", "AK-47", "7.62x39mm")),
    ("KALACHNIKOV", "ak 47", "7,62x39", ("Kalashnikov", "AK-47", "7.62x39mm")),
    ("Kalashnikov", "AK.47", "7.62 x 39 mm", ("Kalashnikov", "AK-47", "7.62x39mm")),
    ("Kalashnikov", "AKM", "7.62 M43", ("Kalashnikov", "AKM", "7.62x39mm")),
    ("Kalachnikof", "AKM", None, ("Kalashnikov", "AKM", "7.62x39mm")),
    ("Fabrique Nationale", "FAL", None, ("FN Herstal", "FAL", "7.62x51mm NATO")),
    ("Česká zbrojovka", "CZ-75", "9 mm", ("CZ", "CZ 75", "9x19mm Parabellum")),
])
def test_case_accents_punctuation_and_aliases_do_not_count(starter, make, model, calibre, expected):
    result = identify(make, model, calibre)
    assert (result.make, result.model, result.calibre) == expected
    assert not result.needs_review


def test_a_blank_make_is_inferred_from_a_model_that_names_it(starter):
    result = identify("", "AK-47")
    assert (result.make, result.model, result.method) == ("Kalashnikov", "AK-47", "inferred_from_model")
    assert identify("Inconnu", "Makarov", "9x18").make == "Baikal"


def test_make_and_model_typed_together_in_one_cell(starter):
    in_make_cell = identify("Norinco Type 56", "")
    assert (in_make_cell.make, in_make_cell.model, in_make_cell.method) == ("Norinco", "Type 56", "split_combined")
    in_model_cell = identify("", "Norinco Type 56-1")
    assert (in_model_cell.make, in_model_cell.model) == ("Norinco", "Type 56-1")


def test_make_and_model_run_together_without_a_space(starter):
    # A small letter before a capital, or nothing at all between a make's short name and the model.
    for make_cell in ("KalashnikovAKM", "Heckler und KochMP5", "HKG36", "BerettaPX4 Storm"):
        result = identify(make_cell, "")
        assert (result.make, result.model) in {("Kalashnikov", "AKM"), ("Heckler & Koch", "MP5"),
                                               ("Heckler & Koch", "G36"), ("Beretta", "PX4 Storm")}, make_cell
    assert (identify("HKG36", "").make, identify("HKG36", "").model) == ("Heckler & Koch", "G36")


def test_a_short_model_typed_with_letters_swapped_or_doubled(starter):
    # Fuzzy scores cannot tell "PKP" from PP or PPK: undoing one slip names one model of the make.
    assert identify("Walther", "PKP").model == "PP"  # PPK is one of its names
    assert identify("Walther", "PPPK").model == "PP"
    assert identify("Heckler & Koch", "UPS").model == "USP"
    # A digit moved is another model, never a slip.
    assert identify("Beretta", "29").model is None


def test_a_make_s_short_name_typed_with_one_slip(starter):
    result = identify("HHK", "MP5")
    assert (result.make, result.model) == ("Heckler & Koch", "MP5")
    assert (identify("", "HKK G3").make, identify("", "HKK G3").model) == ("Heckler & Koch", "G3")
    # A longer name is left to fuzzy matching, surer of it: not sent to review for a slip.
    result = identify("Berettta", "92")
    assert result.make == "Beretta" and result.confidence["make"] >= 0.9


def test_make_and_model_swapped(starter):
    result = identify("AK47", "Kalashnikov")
    assert (result.make, result.model, result.method) == ("Kalashnikov", "AK-47", "swapped")


def test_a_model_cell_that_repeats_the_make_or_carries_the_calibre(starter):
    assert identify("Glock", "Glock 17").model == "17"
    result = identify("Kalashnikov", "AK 47 7,62")
    assert (result.model, result.calibre) == ("AK-47", "7.62x39mm")
    assert identify("Beretta", "92 FS 9 mm").calibre == "9x19mm Parabellum"


def test_a_note_in_parentheses_is_set_aside(starter):
    result = identify("Norinco", "Type 56 (Chine)")
    assert (result.make, result.model) == ("Norinco", "Type 56")
    assert identify("Kalashnikov", "AKM (mauvais état)").model == "AKM"


def test_typos_are_corrected_when_the_answer_is_clear(starter):
    result = identify("Berreta", "92FS")
    assert (result.make, result.model) == ("Beretta", "92")
    assert result.methods["make"] == "fuzzy"
    assert identify("Norinko", "Type56").make == "Norinco"


def test_a_different_number_is_never_taken_for_a_typo(starter):
    result = identify("Kalashnikov", "AK-48")
    assert result.model is None
    assert result.needs_review


def test_unknown_input_is_left_empty_for_review_with_suggestions(starter):
    result = identify("Xyzzy", "Qwerty")
    assert (result.make, result.model, result.method) == (None, None, "none")
    assert result.needs_review
    norinco_akm = identify("Norinco", "AKM")
    assert norinco_akm.make == "Norinco" and norinco_akm.model is None
    assert norinco_akm.needs_review
    assert {"field": "model", "value": "AKM", "make": "Kalashnikov"}.items() <= norinco_akm.suggestions[0].items()


def test_calibre_spellings_and_the_model_s_calibre(starter):
    assert identify("Baikal", "IJ-43", "cal 12").calibre == "12 gauge"
    # "7.62" alone is several calibres; the model says which.
    assert identify("Tula", "TT-33", "7,62").calibre == "7.62x25mm Tokarev"
    assert identify("", "", "7.62 x 39 mm").calibre == "7.62x39mm"


def test_craft_weapons_in_french(starter):
    result = identify("fabrication artisanale", "fusil calibre 12")
    assert (result.make, result.model, result.calibre) == ("Locally made", "Single-barrel shotgun", "12 gauge")
    assert identify("", "Fusil de fabrication artisanale").type == "Craft weapon"


def test_type_words_in_the_make_cell_are_read_as_the_type(starter):
    result = identify("Pistolet", "Tokarev TT-33")
    assert (result.make, result.model, result.type) == ("Tula Arms Plant", "TT-33", "Pistol")
    assert identify("", "", None, "fusil d'assaut").type == "Assault rifle"


def test_the_result_is_json_ready(starter):
    data = identify("Kalachnikov", "AK 47").to_dict()
    assert set(data) >= {"make", "model", "calibre", "type", "make_id", "model_id", "confidence", "method",
                         "methods", "suggestions", "needs_review"}
    assert data["confidence"]["make"] == 0.98


def test_the_engine_is_built_once_per_version_and_makes_no_query_per_row(starter, app):
    from sqlalchemy import event

    identifier = get_identifier("ML")
    assert get_identifier("ML") is identifier
    statements = []

    def count(*args):
        statements.append(args)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for row in range(50):
            identifier.identify("Kalashnikov", f"AK-47 n{row}")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []


def test_a_country_alias_counts_only_for_that_country(starter, world):
    from registry.reference.models import Make

    kalashnikov = db.session.scalar(db.select(Make).where(Make.name == "Kalashnikov"))
    db.session.add(Alias(alias="Kalache", normalized="kalache", make_id=kalashnikov.id, country_code="ML",
                         origin="review"))
    from registry.reference.service import bump_version

    bump_version()
    db.session.commit()
    assert identify("Kalache", "AKM", country="ML").methods["make"] == "alias"
    assert identify("Kalache", "AKM", country="NE").methods["make"] != "alias"
    engine.forget_identifiers()


# Forks are tried in a process of one thread, as a command or an RQ work horse is: the
# test process has threads of its own (a browser test's server, e-mail senders).
TWO_PROCESSES = """
import json, sys
from registry import create_app
from registry.reference import engine
from tests.reference.labelled import generate

forked = []
in_processes = engine._in_processes
def watched(*args):
    found = in_processes(*args)
    forked.append(found is not None)
    return found
engine._in_processes = watched
engine.POOL_FROM = 50  # a pool for this small batch too
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():
    rows = [(row.make, row.model, row.calibre or None, None) for row in generate(400, seed=3)]
    expected = [engine.identify(*row).to_dict() for row in rows]
    engine.get_identifier(None).clear_cache()
    answers = engine.identify_many(rows, processes=2)
    again = engine.identify_many(rows[:3])
    print(json.dumps({"forked": forked, "same": [a.to_dict() for a in answers] == expected,
                      "remembered": again == answers[:3]}))
"""


def test_identify_many_in_two_processes_answers_as_identify_does_one_by_one(starter, app, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    environment = dict(os.environ, REGISTRY_INSTANCE_PATH=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", TWO_PROCESSES, app.config["SQLALCHEMY_DATABASE_URI"]],
                          cwd=root, env=environment, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome == {"forked": [True], "same": True, "remembered": True}


def test_identify_many_in_a_process_of_several_threads_answers_without_forking(starter, monkeypatch):
    import threading

    from tests.reference.labelled import generate

    rows = [(row.make, row.model, row.calibre or None, None) for row in generate(200, seed=5)]
    expected = [identify(*row).to_dict() for row in rows]
    engine.get_identifier(None).clear_cache()
    monkeypatch.setattr(engine, "POOL_FROM", 50)
    forked = []
    in_processes = engine._in_processes
    monkeypatch.setattr(engine, "_in_processes",
                        lambda *args: forked.append(in_processes(*args) is not None) or None)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        answers = engine.identify_many(rows, processes=2)
    finally:
        stop.set()
        other.join()
    assert forked == [False]
    assert [answer.to_dict() for answer in answers] == expected


def test_a_large_index_finds_a_misspelt_key_among_thousands(app):
    from registry.reference.models import Make, Model

    make = Make(code="MK-BIG", name="Big Arms")
    db.session.add(make)
    db.session.flush()
    db.session.add_all([Model(code=f"MD-BIG-{n}", make_id=make.id, name=f"Varnokel {n}") for n in range(9000)])
    db.session.add(Model(code="MD-BIG-X", make_id=make.id, name="Teskaliber"))
    db.session.commit()
    engine.forget_identifiers()
    assert len(get_identifier(None).model_index.choices) >= engine.NARROW_FROM
    for typed in ("Tesklaiber", "Teskalibre", "Teskaliiber", "Tseskaliber"):
        assert identify("", typed).model == "Teskaliber", typed
    engine.forget_identifiers()


def test_the_answers_kept_are_bounded_and_a_large_batch_is_left_to_its_caller(starter, monkeypatch):
    from tests.reference.labelled import generate

    identifier = get_identifier(None)
    identifier.clear_cache()
    monkeypatch.setattr(engine, "CACHE_SIZE", 40)
    monkeypatch.setattr(engine, "POOL_FROM", 60)
    rows = list(dict.fromkeys((row.make, row.model, row.calibre or None, None) for row in generate(300, seed=8)))
    for row in rows[:100]:
        identify(*row)
    assert 0 < len(identifier._cache) <= 40
    assert len(identifier._pairs) <= 40 and len(identifier._rankings) <= 40
    identifier.clear_cache()
    answers = identifier.identify_many(rows[100:200], processes=1)  # a batch of 100: not kept
    assert len(identifier._cache) == 0 and len(answers) == 100
    small = identifier.identify_many(rows[200:210], processes=1)  # a small one is
    assert len(identifier._cache) == 10
    # What was kept is handed out as a copy: changing an answer changes no later one.
    expected = small[0].copy()
    small[0].suggestions.append({"field": "make", "id": 0, "score": 0.1})
    small[0].confidence["make"] = 0.5
    assert identifier.identify_many(rows[200:201], processes=1)[0] == expected
    assert identify(*rows[200]) == expected
