from tests.authorization import Route, everyone_but

READERS = ("viewer", "officer", "tracing_officer", "supervisor", "agency_admin", "platform_admin")
WRITERS = ("officer", "tracing_officer", "supervisor")


def niger_weapon(world):
    return {"weapon_id": world.ne_weapon_id}


def niger_shared_weapon(world):
    return {"weapon_id": world.ne_shared_weapon_id}


ROUTES = [
    Route("weapons.index"),
    Route("weapons.export"),
    Route("weapons.hits"),
    # Serial search by part, pasted list and sequence: every reader, within its scope.
    Route("weapons.serial_search_page"),
    Route("weapons.serial_list_search", "POST", data=lambda w: {"serials": "NE-SECRET-77"}),
    Route("weapons.serial_list_export", "POST", data=lambda w: {"serials": "NE-SECRET-77"}),
    Route("weapons.create", expect=everyone_but(403, *WRITERS)),
    Route("weapons.create", "POST", expect=everyone_but(403, *WRITERS), default=400),
    # Niger's national record: 404 for everyone of Mali, whatever the role may do.
    Route("weapons.view", args=niger_weapon, default=404),
    Route("weapons.edit", args=niger_weapon, expect=everyone_but(403, *WRITERS), default=404),
    Route("weapons.edit", "POST", args=niger_weapon, expect=everyone_but(403, *WRITERS), default=404),
    Route("weapons.delete", "POST", args=niger_weapon, expect=everyone_but(403, "supervisor"),
          default=404),
    # The engine's answer for typed cells: about the reference table, every reader may ask.
    Route("weapons.identify"),
    Route("weapons.confirm_identification", "POST", args=niger_weapon, expect=everyone_but(403, *WRITERS),
          default=404),
    Route("weapons.photo_upload", "POST", args=niger_weapon, expect=everyone_but(403, *WRITERS),
          default=404),
    Route("weapons.photo", args=lambda w: {"photo_id": w.ne_photo_id}, default=404),
    Route("weapons.photo_thumbnail", args=lambda w: {"photo_id": w.ne_photo_id}, default=404),
    Route("weapons.photo_shareable", "POST", args=lambda w: {"photo_id": w.ne_photo_id},
          expect=everyone_but(403, *WRITERS), default=404, data=lambda w: {"shareable": "1"}),
    # A hit between Niger and Burkina Faso.
    Route("weapons.hit_detail", args=lambda w: {"hit_id": w.ne_hit_id}, default=404),
    Route("weapons.hit_detail", "POST", args=lambda w: {"hit_id": w.ne_hit_id}, default=404),
    Route("weapons.hit_update_record", "POST", args=lambda w: {"hit_id": w.ne_hit_id},
          expect=everyone_but(403, *WRITERS), default=404, data=lambda w: {"status": "seized"}),
    # The JSON API (a page's session may call it; the form data sent here is no JSON body).
    Route("weapons_api.list_weapons"),
    Route("weapons_api.create_weapon", "POST", expect=everyone_but(403, *WRITERS), default=400),
    Route("weapons_api.show_weapon", args=niger_weapon, default=404),
    Route("weapons_api.update_weapon", "PATCH", args=niger_weapon, expect=everyone_but(403, *WRITERS),
          default=404),
    Route("weapons_api.share_weapon", "POST", args=niger_weapon, expect=everyone_but(403, *WRITERS),
          default=404),
    Route("weapons_api.list_hits"),
    Route("weapons_api.show_hit", args=lambda w: {"hit_id": w.ne_hit_id}, default=404),
    Route("weapons_api.confirm_hit", "POST", args=lambda w: {"hit_id": w.ne_hit_id},
          expect=everyone_but(403, *WRITERS), default=404),
    Route("weapons_api.dismiss_hit", "POST", args=lambda w: {"hit_id": w.ne_hit_id},
          expect=everyone_but(403, *WRITERS), default=404),
    Route("weapons_api.update_record_after_hit", "POST", args=lambda w: {"hit_id": w.ne_hit_id},
          expect=everyone_but(403, *WRITERS), default=404),
    Route("weapons_api.add_photo", "POST", args=niger_weapon, expect=everyone_but(403, *WRITERS), default=404),
    Route("weapons_api.share_photo", "POST", args=lambda w: {"photo_id": w.ne_photo_id},
          expect=everyone_but(403, *WRITERS), default=404),
    Route("weapons_api.photo", args=lambda w: {"photo_id": w.ne_photo_id}, default=404),
    Route("weapons_api.photo_thumbnail", args=lambda w: {"photo_id": w.ne_photo_id}, default=404),
    # Without their query or body: refused as incomplete, for every reader.
    Route("weapons_api.sequence", default=400),
    Route("weapons_api.serial_list", "POST", default=400),
]
