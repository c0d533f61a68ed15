"""Finding the header row of a messy sheet and mapping its columns."""

import pytest

from registry.imports.headers import apply_mapping, find_header, map_titles
from registry.imports.reader import ImportRefused, Sheet


def test_the_header_is_found_under_titles_and_blank_lines():
    sheet = Sheet("s", rows=[
        ["COMMISSION NATIONALE DE LUTTE CONTRE LA PROLIFERATION DES ARMES LEGERES"],
        [],
        ["Etat des armes saisies", None, None, "Année 2024"],
        ["N°", "Marque", "Modèle", "N° de série", "Calibre", "Type d'arme", "Pays de fabrication",
         "Date de saisie", "Lieu de saisie", "Référence dossier", "Statut", "Observations"],
        [1, "Kalach", "AK 47", "12345"],
    ])
    header = find_header(sheet)
    assert header.row == 4 and header.first_data_row == 5
    assert header.mapping == {0: "line_number", 1: "make", 2: "model", 3: "serial", 4: "calibre",
                              5: "type", 6: "manufacture_country", 7: "event_date", 8: "event_town",
                              9: "case_reference", 10: "status", 11: "notes"}


@pytest.mark.parametrize("title, expected", [
    ("NUMERO DE SERIE", "serial"), ("Numéro de série", "serial"), ("Serial", "serial"),
    ("N° série", "serial"), ("n°  de  série", "serial"), ("Serial number", "serial"),
    ("MODELE", "model"), ("Model", "model"), ("Make", "make"), ("Manufacturer", "make"),
    ("Localité", "event_town"), ("Région", "event_region"), ("N° PV", "case_reference"),
    ("Procès-verbal", "case_reference"), ("Situation", "status"), ("Remarques", "notes"),
    ("Marquages", "markings"), ("Importateur", "importer"), ("Pays d'importation", "import_country"),
    ("Date", "event_date"), ("Calibre (mm)", "calibre"), ("Type", "type"), ("Caliber", "calibre"),
    ("Country of manufacture", "manufacture_country"), ("Date de saisie", "event_date"),
])
def test_titles_are_mapped_in_french_and_english(title, expected):
    assert map_titles(["x", title]) == {1: expected}


def test_each_field_goes_to_one_column_the_surest():
    assert map_titles(["Marque ou fabricant", "Marque"]) == {1: "make"}


def test_an_empty_sheet_is_refused():
    with pytest.raises(ImportRefused, match="empty"):
        find_header(Sheet("s", rows=[]))


def test_a_sheet_without_header_row_says_so():
    rows = [[1, 2, 3]] * 40
    with pytest.raises(ImportRefused, match="No header row was found in the first 30 rows"):
        find_header(Sheet("s", rows=rows))


def test_a_header_with_none_of_the_expected_columns_names_what_it_found():
    with pytest.raises(ImportRefused, match="None of the columns is recognised.*Nom, Prénom, Adresse"):
        find_header(Sheet("s", rows=[["Nom", "Prénom", "Adresse"], ["Traoré", "Awa", "Bamako"]]))


def test_a_remembered_mapping_applies_when_its_titles_are_there():
    saved = {"Arme": "make", "Mod.": "model"}
    assert apply_mapping(["N°", "Arme", "Mod."], saved) == {1: "make", 2: "model"}
    assert apply_mapping(["N°", "Marque"], saved) is None
