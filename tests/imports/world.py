"""An import of Niger, with one row: users of Mali must never reach it."""

from registry.extensions import db
from registry.imports.models import Import, ImportRow, ImportStatus


def add_imports(world) -> None:
    niger = world["NE"]
    import_ = Import(file_name="niger.xlsx", sha256="0" * 64, size=1, kind="xlsx", stored_path="/nonexistent",
                     agency_id=niger.agency.id, country_code="NE", uploaded_by_id=niger.user("officer").id,
                     sheet_names=["Feuil1"], sheet_name="Feuil1", header_row=1, titles=["Marque"],
                     column_mapping={"0": "make"}, counts={"ready": 1}, status=ImportStatus.REVIEW,
                     progress_done=1, progress_total=1, cancel_requested=False)
    db.session.add(import_)
    db.session.flush()
    row = ImportRow(import_id=import_.id, row_number=2, cells=["Beretta"], values={"raw_make": "Beretta"},
                    identification=None, status="ready", messages=[], accepted=True, corrected=False)
    db.session.add(row)
    db.session.flush()
    world.ne_import_id = import_.id
    world.ne_import_row_id = row.id
