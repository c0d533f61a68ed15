from tests.authorization import Route, everyone_but

IMPORTERS = ("officer", "tracing_officer", "supervisor")


def niger_import(world):
    return {"import_id": world.ne_import_id}


ROUTES = [
    Route("imports.index", expect=everyone_but(403, *IMPORTERS)),
    Route("imports.upload", "POST", expect=everyone_but(403, *IMPORTERS), default=400),
    Route("imports.template", expect=everyone_but(403, *IMPORTERS)),
    # Niger's import: 404 for everyone of Mali who may import, 403 for the others.
    Route("imports.view", args=niger_import, expect=everyone_but(403, *IMPORTERS), default=404),
    Route("imports.setup", args=niger_import, expect=everyone_but(403, *IMPORTERS), default=404),
    Route("imports.setup", "POST", args=niger_import, expect=everyone_but(403, *IMPORTERS), default=404),
    Route("imports.review_rows", "POST", args=niger_import, expect=everyone_but(403, *IMPORTERS),
          default=404, data=lambda w: {"action": "accept", "scope": "ready"}),
    Route("imports.correct", "POST", args=lambda w: {"import_id": w.ne_import_id, "row_id": w.ne_import_row_id},
          expect=everyone_but(403, *IMPORTERS), default=404, data=lambda w: {"action": "reject"}),
    Route("imports.choose_column", "POST", args=lambda w: {"import_id": w.ne_import_id, "index": 0},
          expect=everyone_but(403, *IMPORTERS), default=404, data=lambda w: {"field": ""}),
    Route("imports.approve", "POST", args=niger_import, expect=everyone_but(403, "supervisor"), default=404),
    Route("imports.commit", "POST", args=niger_import, expect=everyone_but(403, *IMPORTERS), default=404),
    Route("imports.cancel", "POST", args=niger_import, expect=everyone_but(403, *IMPORTERS), default=404),
    Route("imports.result", args=niger_import, expect=everyone_but(403, *IMPORTERS), default=404),
    Route("imports_api.api_create", "POST", expect=everyone_but(403, *IMPORTERS), default=400),
    Route("imports_api.api_list", expect=everyone_but(404, *IMPORTERS)),
    Route("imports_api.api_show", args=niger_import, default=404),
    Route("imports_api.api_rows", args=niger_import, default=404),
]
