"""A messy spreadsheet, as commissions keep them, through upload, review and commit."""

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.flows import new_serial


def messy_sheet(path, serials: list[str]):
    """A title, a blank line, French headers, typos, a make no table knows, a total row."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Saisies"
    sheet.append(["Registre des armes saisies — région de Mopti"])
    sheet.append([])
    sheet.append(["N°", "Marque", "Modèle", "Calibre", "N° de série", "Statut", "Date de saisie"])
    sheet.append([1, "Kalachnikov", "AKM", "7,62x39", serials[0], "saisie", "15/03/2024"])
    sheet.append([2, "Beretta", "92FS", "9mm", serials[1], "saisie", "16/03/2024"])
    sheet.append([3, "Kalshnikof", "AK47", "7.62", serials[2], "trouvée", "17/03/2024"])
    sheet.append([4, "Qwertzu", "Z9", "", serials[3], "saisie", "18/03/2024"])
    sheet.append([None, "Total", None, None, None, None, 3])
    workbook.save(path)


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_a_messy_sheet_is_reviewed_then_committed_as_records(open_browser, tmp_path, language):
    serials = [new_serial("IM") for _ in range(4)]
    path = tmp_path / f"saisies-{language}.xlsx"
    messy_sheet(path, serials)
    mali = open_browser(language)
    page = mali.log_in("officer", "ML")
    mali.go("/imports/")
    page.get_by_label(mali.t("Spreadsheet to import (.xlsx, .xls, .ods or .csv)")).set_input_files(str(path))
    mali.press("Upload and analyse")
    # The analysis runs in the background; the page reloads until it is done.
    commit = mali.tn("Commit: write %(num)d accepted row as a record",
                     "Commit: write %(num)d accepted rows as records", 3)
    expect(page.get_by_role("button", name=commit)).to_be_visible(timeout=30_000)
    expect(page.locator("main")).to_contain_text(mali.t("Header on row %(number)d", number=3))
    for serial in serials:
        expect(page.locator("main")).to_contain_text(serial)

    # Every row still to review is accepted at once, then the import is committed.
    expect(page.get_by_role("row").filter(has_text=serials[3])).to_contain_text(mali.t("Needs review"))
    page.locator("#bulk").get_by_label(mali.t("Rows")).select_option(value="needs_review")
    page.locator("#bulk").get_by_role("button", name=mali.t("Accept"), exact=True).click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.get_by_role("button", name=mali.tn("Commit: write %(num)d accepted row as a record",
                                            "Commit: write %(num)d accepted rows as records", 4)).click()
    expect(page.locator("main")).to_contain_text(mali.t("Records created"), timeout=30_000)

    mali.go(f"/weapons/?q={serials[3]}")
    expect(page.locator("main")).to_contain_text("Qwertzu")
