"""The reference routes. The reference table belongs to no country: platform admins
manage it; every role that reads records may identify a weapon."""

from registry.extensions import db
from tests.authorization import Route, everyone_but


def _entries(world):
    """A make, a model, a calibre, a type and country aliases to point the routes at (made
    once per world)."""
    if not hasattr(world, "reference_entries"):
        from registry.reference.models import Alias, Calibre, Make, Model, WeaponType

        make = Make(code="MK-MATRIX", name="Matrix make")
        db.session.add(make)
        db.session.flush()
        model = Model(code="MD-MATRIX", name="Matrix model", make_id=make.id)
        db.session.add(model)
        db.session.flush()
        aliases = [Alias(alias=f"matrix {n}", normalized=f"matrix{n}", make_id=make.id, country_code="NE")
                   for n in range(2)]
        db.session.add_all(aliases)
        calibre = Calibre(code="CA-MATRIX", name="Matrix calibre")
        weapon_type = WeaponType(code="TY-MATRIX", name_en="Matrix type", name_fr="Type matrice")
        db.session.add_all([calibre, weapon_type])
        db.session.commit()
        world.reference_entries = {"make": make.id, "model": model.id, "aliases": [a.id for a in aliases],
                                   "calibre": calibre.id, "type": weapon_type.id}
    return world.reference_entries


ADMIN = everyone_but(403, "platform_admin")
WRITERS = ("officer", "tracing_officer", "supervisor", "platform_admin")

ROUTES = [
    Route("reference.identify"),
    Route("reference.identify", "POST", data=lambda w: {"make": "Matrix make"}),
    Route("reference.confirm", "POST", default=302, expect=everyone_but(403, *WRITERS)),
    Route("reference_api.identify_api", "POST", default=400),
    Route("reference.makes", expect=ADMIN),
    Route("reference.make_create", expect=ADMIN),
    Route("reference.make_create", "POST", expect=ADMIN),
    Route("reference.make_edit", args=lambda w: {"make_id": _entries(w)["make"]}, expect=ADMIN),
    Route("reference.make_edit", "POST", args=lambda w: {"make_id": _entries(w)["make"]}, expect=ADMIN),
    Route("reference.model_create", "POST", args=lambda w: {"make_id": _entries(w)["make"]},
          expect=ADMIN | {"platform_admin": 302}),
    Route("reference.model_edit", args=lambda w: {"model_id": _entries(w)["model"]}, expect=ADMIN),
    Route("reference.model_edit", "POST", args=lambda w: {"model_id": _entries(w)["model"]}, expect=ADMIN),
    Route("reference.alias_add", "POST", args=lambda w: {"field": "make", "target_id": _entries(w)["make"]},
          expect=ADMIN | {"platform_admin": 302}),
    Route("reference.merge", "POST", args=lambda w: {"field": "make", "target_id": _entries(w)["make"]},
          expect=ADMIN | {"platform_admin": 302}),
    Route("reference.alias_delete", "POST", args=lambda w: {"alias_id": _entries(w)["aliases"][0]},
          expect=ADMIN | {"platform_admin": 302}),
    Route("reference.alias_global", "POST", args=lambda w: {"alias_id": _entries(w)["aliases"][1]},
          expect=ADMIN | {"platform_admin": 302}),
    Route("reference.calibres", expect=ADMIN),
    Route("reference.calibres", "POST", expect=ADMIN),
    Route("reference.calibre_edit", args=lambda w: {"calibre_id": _entries(w)["calibre"]}, expect=ADMIN),
    Route("reference.calibre_edit", "POST", args=lambda w: {"calibre_id": _entries(w)["calibre"]}, expect=ADMIN),
    Route("reference.weapon_types", expect=ADMIN),
    Route("reference.weapon_types", "POST", expect=ADMIN),
    Route("reference.weapon_type_edit", args=lambda w: {"type_id": _entries(w)["type"]}, expect=ADMIN),
    Route("reference.weapon_type_edit", "POST", args=lambda w: {"type_id": _entries(w)["type"]}, expect=ADMIN),
    Route("reference.upload", expect=ADMIN),
    Route("reference.upload", "POST", expect=ADMIN),
    Route("reference.merge_undo", "POST", args=lambda w: {"merge_id": 999_999},
          expect=ADMIN | {"platform_admin": 404}),
    # The table in the API: read by every reader, changed by the platform administrator.
    Route("reference_table_api.makes"),
    Route("reference_table_api.make", args=lambda w: {"make_id": _entries(w)["make"]}),
    Route("reference_table_api.calibres"),
    Route("reference_table_api.types"),
    Route("reference_table_api.create_make", "POST", expect=ADMIN | {"platform_admin": 400}),
    Route("reference_table_api.create_model", "POST", args=lambda w: {"make_id": _entries(w)["make"]},
          expect=ADMIN | {"platform_admin": 400}),
    Route("reference_table_api.create_calibre", "POST", expect=ADMIN | {"platform_admin": 400}),
    Route("reference_table_api.create_alias", "POST", expect=ADMIN | {"platform_admin": 400}),
]
