"""Write starter.xlsx, the reference table shipped with the registry, from the tab-separated files
beside this script (the files to edit). Run: python registry/reference/data/build_starter.py

The workbook is in the format `flask reference load` reads, so the starter table and an
uploaded table go through the same code."""

import csv
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
SHEETS = (("Table", "starter_table.tsv"), ("Calibres", "starter_calibres.tsv"), ("Types", "starter_types.tsv"))


def build(target: Path = HERE / "starter.xlsx") -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, file_name in SHEETS:
        sheet = workbook.create_sheet(title)
        with open(HERE / file_name, newline="", encoding="utf-8") as source:
            for row in csv.reader(source, delimiter="\t"):
                sheet.append(row)
    workbook.save(target)
    return target


if __name__ == "__main__":
    print(build())
