"""Rows of a messy sheet: dates, statuses, countries, blank and total rows, long cells,
identification once per spelling, duplicates."""

from datetime import date, datetime

import pytest

from registry.imports.headers import find_header
from registry.imports.reader import Sheet
from registry.imports.rows import (
    DUPLICATE,
    INVALID,
    NEEDS_REVIEW,
    READY,
    SKIPPED,
    CountryNames,
    RowAnalyser,
    parse_date,
    parse_status,
)
from registry.reference.normalize import key

HEADER = ["N°", "Marque", "Modèle", "N° de série", "Calibre", "Type d'arme", "Date de saisie",
          "Statut", "Pays de fabrication", "Observations"]


@pytest.mark.parametrize("value, expected", [
    (datetime(2024, 3, 12, 0, 0), date(2024, 3, 12)), (45363, date(2024, 3, 12)),
    ("12/03/2024", date(2024, 3, 12)), ("12-03-24", date(2024, 3, 12)), ("2024-03-12", date(2024, 3, 12)),
    ("12 mars 2024", date(2024, 3, 12)), ("1er août 2023", date(2023, 8, 1)), ("12.03.2024", date(2024, 3, 12)),
    ("12 March 2024", date(2024, 3, 12)), ("45363", date(2024, 3, 12)), ("hier", None), ("31/02/2024", None),
])
def test_dates_typed_every_usual_way(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("text, expected", [
    ("Saisie", "seized"), ("saisi", "seized"), ("Trouvée", "found"), ("REMISE VOLONTAIRE", "surrendered"),
    ("Perdue", "lost"), ("volée", "stolen"), ("Trafic", "trafficked"), ("Détruite", "destroyed"),
    ("restituée", "returned"), ("Stolen", "stolen"), ("remise volontaire par le chef de village", "surrendered"),
    ("bof", None),
])
def test_statuses_in_french_and_english(text, expected):
    assert parse_status(text) == expected


def test_countries_by_french_or_english_name_or_code(app):
    names = CountryNames.from_database()
    assert names.code("Russie") == "RU"
    assert names.code("Fédération de Russie") == "RU"
    assert names.code("Chine") == "CN"
    assert names.code("Belgium") == "BE"
    assert names.code("bel") == "BE"
    assert names.code("DE") == "DE"
    assert names.code("Atlantide") is None


@pytest.mark.parametrize("text, expected", [
    ("URSS", "RU"), ("Union soviétique", "RU"), ("Yougoslavie", "RS"), ("RDA", "DE"),
    ("Tchécoslovaquie", "CZ"), ("Angleterre", "GB"), ("États-Unis d'Amérique", "US"), ("RDC", "CD"),
])
def test_countries_by_the_usual_and_former_names_the_reference_table_knows(app, text, expected):
    # The names a sheet gives for the country of manufacture of old weapons are the ones the
    # identification engine reads in a model's note ("AK-47 (URSS)"): one list for both.
    from registry.reference.engine import get_identifier

    assert CountryNames.from_database().code(text) == expected
    assert get_identifier("ML").country_keys.get(key(text)) == expected


class CountingIdentifier:
    """The real engine, counting how often it is asked."""

    def __init__(self, engine):
        self.engine, self.calls = engine, 0

    def identify(self, *spelling):
        self.calls += 1
        return self.engine.identify(*spelling)


def analyse(rows, existing=None):
    from registry.reference.engine import get_identifier

    sheet = Sheet("s", rows=rows)
    header = find_header(sheet)
    identifier = CountingIdentifier(get_identifier("ML"))
    analyser = RowAnalyser("ML", header, identifier=identifier, countries=CountryNames.from_database())
    results = analyser.analyse(sheet, existing_keys=existing)
    return {result.row: result for result in results}, identifier


def test_a_messy_sheet_row_by_row(app, reference):
    rows = [
        ["ETAT DES ARMES SAISIES - 2024"], [],
        HEADER,
        [1, "Kalachnikov", "AK 47", "A-12345", "7,62x39", "Fusil d'assaut", "12/03/2024", "Saisie", "Russie"],
        [2, "Beretta", "92", "B 555", "9 mm", "Pistolet", datetime(2024, 3, 13), "trouvée", "Italie"],
        [], [None, None],
        [3, "Kalachnikov", "AK 47", "a.12345", None, None, "hier", "saisie"],
        [4, None, None, None, None, None, "12/03/2024"],
        [5, "Zorglub", "XR-9000", "Z1", None, None, "12/03/2099", "saisie"],
        ["TOTAL", None, None, None, None, None, None, None, None, "3 armes"],
        [6, "Kalachnikov", "AK 47", "C-1", None, None, "12/03/2024", "bof", "Atlantide", "x" * 10_000],
    ]
    results, identifier = analyse(rows)
    assert results[4].status == READY, results[4].messages
    assert results[4].identification["make"] == "Kalashnikov"
    assert results[4].identification["model"] == "AK-47"
    assert results[4].values["event_date"] == "2024-03-12"
    assert results[4].values["manufacture_country_code"] == "RU"
    assert results[5].values["status"] == "found" and results[5].values["event_date"] == "2024-03-13"
    assert results[6].status == SKIPPED and results[7].status == SKIPPED
    # Same serial key and make as row 4.
    assert results[8].status == DUPLICATE
    assert results[9].status == INVALID
    assert results[10].status == INVALID  # date in the future
    assert results[11].status == SKIPPED  # TOTAL
    assert results[12].status == NEEDS_REVIEW
    texts = [result["key"] for result in results[12].messages]
    assert {"status_unknown", "country_unknown", "cut"} <= set(texts)
    assert len(results[12].cells[9]) == 2000
    # Six rows describing a weapon, four spellings of (make, model, calibre, type): four calls.
    assert identifier.calls == 4


def test_an_unknown_make_is_left_for_review_not_guessed(app, reference):
    results, _identifier = analyse([HEADER, [1, "Zorglub", "XR-9000", "Z1"]])
    assert results[2].status == NEEDS_REVIEW
    assert results[2].identification["make"] is None
    assert results[2].report()["make"] is None


def test_a_serial_already_recorded_with_the_same_make_is_a_duplicate(app, reference):
    from registry.reference.engine import get_identifier

    make_id = get_identifier("ML").identify("Beretta", "92").make_id
    results, _identifier = analyse([HEADER, [1, "Beretta", "92", "B-555"], [2, "Beretta", "92", "B-556"]],
                                   existing=lambda keys: {("B555", make_id)} & {(k, make_id) for k in keys})
    assert results[2].status == DUPLICATE and results[3].status == READY


def test_formulas_are_kept_as_text(app, reference):
    results, _identifier = analyse([HEADER, [1, "=HYPERLINK(\"http://x\")", "92", "B-1"]])
    assert results[2].values["raw_make"] == '=HYPERLINK("http://x")'
    assert "formula" in [item["key"] for item in results[2].messages]


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.text(alphabet="ABCKLOIZabclio0123456789 ./-_", min_size=1, max_size=20))
def test_the_fast_serial_path_gives_the_key_and_state_the_weapons_rules_give(raw):
    from registry.imports.rows import _PLAIN_FOLD, _PLAIN_SERIAL
    from registry.weapons.serials import SerialState, detect_serial_state, serial_key

    raw = raw.strip()
    if raw and _PLAIN_SERIAL.fullmatch(raw):
        assert detect_serial_state(raw) is SerialState.READABLE
        assert (raw.upper().translate(_PLAIN_FOLD) or None) == serial_key(raw)


# Cells as field units type them: good and bad dates, statuses and countries, totals, the
# header again, formulas, long texts, numbers, booleans (True == 1 in a dict) and blanks.
MESSY_CELLS = st.one_of(
    st.none(),
    st.sampled_from(["Kalachnikov", "KALASHNIKOV ", "Beretta", "beretta", "Zorglub", "AK 47", "92", "AKM",
                     "A-12345", "a.12345", "B 555", "limé", "illisible", "7,62x39", "9 mm", "Pistolet",
                     "Fusil d'assaut", "12/03/2024", "hier", "12/03/2099", "1800-01-01", "2024-03-12",
                     "Saisie", "trouvée", "bof", "Russie", "Atlantide", "BE", "TOTAL", "Sous-total",
                     "N°", "Marque", "=SUM(A1:A9)", "x" * 150, "y" * 2100, " ", "Ségou", "Ｓégou"]),
    st.integers(-5, 50_000), st.floats(0, 50_000, allow_nan=False), st.booleans(),
    st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(2100, 1, 1)),
    st.text(max_size=6),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(MESSY_CELLS, max_size=12), min_size=1, max_size=25))
def test_reading_by_columns_gives_what_reading_row_by_row_gives(app, reference, rows):
    """The fast path (distinct values of each column read once) and the row-by-row path
    agree on every row: status, values, identification, messages and kept cells."""
    import copy
    from unittest import mock

    from registry.imports import rows as rows_module
    from registry.reference.engine import get_identifier

    sheet_rows = [["Etat des armes"], HEADER, *rows]
    outcomes = []
    # Read row by row; by columns, each text column through a table of its distinct values
    # (as a large sheet's makes) or in row order (as its serials); by columns as chosen; and
    # so with the distinct spellings identified in one batch (as a large sheet's are).
    for by_columns, share, batch in ((False, None, None), (True, 2.0, None), (True, 0.0, None),
                                     (True, rows_module.ROW_ORDER_SHARE, None), (True, rows_module.ROW_ORDER_SHARE, 0)):
        sheet = Sheet("s", rows=copy.deepcopy(sheet_rows))
        header = find_header(sheet)
        analyser = RowAnalyser("ML", header, identifier=get_identifier("ML"),
                               countries=CountryNames.from_database())
        with mock.patch.object(rows_module, "ROW_ORDER_SHARE", share), \
                mock.patch.object(rows_module, "BATCH_FROM", rows_module.BATCH_FROM if batch is None else batch):
            results = analyser.analyse(sheet, existing_keys=lambda keys: {(key, None) for key in keys if "5" in key},
                                       by_columns=by_columns)
        outcomes.append([(result.row, result.status, result.values, result.identification, result.messages,
                          result.cells) for result in results])
    assert outcomes[0] == outcomes[1] == outcomes[2] == outcomes[3] == outcomes[4]


@pytest.mark.parametrize("text, expected", [
    ("Congo", "CG"), ("République du Congo", "CG"), ("République démocratique du Congo", "CD"),
    ("Fédération de Russie", "RU"), ("la Côte d'Ivoire", "CI"), ("Guinée", "GN"), ("Niger", "NE"),
    ("L'Algérie", "DZ"), ("Corée", None),
])
def test_a_countrys_own_name_wins_and_a_shared_short_name_means_none(app, text, expected):
    # "Congo" shortens "Congo, The Democratic Republic of the" but is the Republic of the
    # Congo's own name; "Corée" shortens both Koreas: a guess would be confidently wrong.
    from registry.reference.engine import get_identifier
    from registry.reference.normalize import country_code

    assert CountryNames.from_database().code(text) == expected
    assert country_code(get_identifier("ML").country_keys, text) == expected  # also the weapon form's
