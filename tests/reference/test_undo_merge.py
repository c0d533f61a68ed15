"""A merge of makes can be undone from the page of the make kept: the make comes back with
its models (those merged into a twin too), its aliases and the records the merge moved;
both the merge and its undoing are audited."""

from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.extensions import db
from registry.reference import service
from registry.reference.models import Alias, Calibre, Make, Model, ReferenceMerge, model_calibre
from registry.weapons.models import Weapon
from registry.weapons.service import create_weapon


def duplicate_make(world):
    """A make entered twice: "Izhmash Works", with an alias, a model of its own, and an
    AK-47 (the twin of Kalashnikov's) with a calibre and an alias Kalashnikov's lacks; a
    record of each model."""
    admin = world["ML"].user("platform_admin")
    duplicate = service.create_make(admin, "Izhmash Works", "RU")
    service.add_alias(admin, "make", duplicate.id, "Izh Works")
    own = service.create_model(admin, duplicate, "Saiga-12K", None)
    twin = service.create_model(admin, duplicate, "AK-47", None)
    extra_calibre = db.session.scalar(select(Calibre).where(Calibre.name == "7.62x51mm NATO"))
    service.update_model(admin, twin, "AK-47", None, [extra_calibre.id])
    service.add_alias(admin, "model", twin.id, "AK Izh")
    officer = world["ML"].user("officer")
    first = create_weapon(officer, status="seized", raw_make="Izhmash Works", raw_model="Saiga-12K", raw_serial="U1")
    second = create_weapon(officer, status="seized", raw_make="Izhmash Works", raw_model="AK-47", raw_serial="U2")
    first.make_id, first.model_id = duplicate.id, own.id
    second.make_id, second.model_id = duplicate.id, twin.id
    db.session.commit()
    return duplicate.id, own.id, twin.id, extra_calibre.id, first.id, second.id


def kalashnikov() -> Make:
    return db.session.scalar(select(Make).where(Make.name == "Kalashnikov"))


def merge_through_the_pages(actions, duplicate_id: int, kept_id: int) -> None:
    page = actions.post(f"/reference/make/{duplicate_id}/merge", {"kept_id": kept_id},
                        token_from=f"/reference/makes/{duplicate_id}").get_data(as_text=True)
    assert "un administrateur de la plateforme peut l'annuler depuis la page de la marque gardée" in page
    response = actions.post(f"/reference/make/{duplicate_id}/merge", {"kept_id": kept_id, "confirm": "1"},
                            token_from=f"/reference/makes/{duplicate_id}")
    assert response.status_code == 302


def test_a_platform_admin_undoes_a_merge_from_the_make_page(starter, world, login_as):
    duplicate_id, own_id, twin_id, extra_calibre_id, first_id, second_id = duplicate_make(world)
    kept = kalashnikov()
    kept_ak = db.session.scalar(select(Model).where(Model.make_id == kept.id, Model.name == "AK-47"))
    kept_ak_calibres = set(db.session.scalars(select(model_calibre.c.calibre_id)
                                              .where(model_calibre.c.model_id == kept_ak.id)))
    actions = login_as(world["ML"].user("platform_admin"))
    merge_through_the_pages(actions, duplicate_id, kept.id)
    db.session.expire_all()
    assert db.session.get(Make, duplicate_id) is None and db.session.get(Model, twin_id) is None
    assert db.session.get(Weapon, second_id).model_id == kept_ak.id

    page = actions.client.get(f"/reference/makes/{kept.id}").get_data(as_text=True)
    assert "Marques fusionnées dans celle-ci" in page and "Izhmash Works" in page
    assert "Modèles : 2 · Alias : 2 · Fiches et autres lignes : 2" in page
    merged = db.session.scalars(select(ReferenceMerge)).one()
    response = actions.post(f"/reference/merges/{merged.id}/undo", token_from=f"/reference/makes/{kept.id}",
                            follow_redirects=True)
    assert "Fusion annulée : « Izhmash Works » est de nouveau une marque" in response.get_data(as_text=True)

    db.session.expire_all()
    make = db.session.get(Make, duplicate_id)
    assert (make.name, make.country_code) == ("Izhmash Works", "RU")
    assert sorted(model.name for model in make.models) == ["AK-47", "Saiga-12K"]
    assert db.session.get(Model, own_id).make_id == duplicate_id
    twin = db.session.get(Model, twin_id)
    assert twin.make_id == duplicate_id and [calibre.id for calibre in twin.calibres] == [extra_calibre_id]
    assert set(db.session.scalars(select(model_calibre.c.calibre_id)
                                  .where(model_calibre.c.model_id == kept_ak.id))) == kept_ak_calibres
    assert [alias.alias for alias in make.aliases] == ["Izh Works"]
    assert [alias.alias for alias in twin.aliases] == ["AK Izh"]
    kept_aliases = set(db.session.scalars(select(Alias.normalized).where(Alias.make_id == kept.id)))
    assert "izhmashworks" not in kept_aliases and "izhworks" not in kept_aliases
    assert (db.session.get(Weapon, first_id).make_id, db.session.get(Weapon, first_id).model_id) == (
        duplicate_id, own_id)
    assert (db.session.get(Weapon, second_id).make_id, db.session.get(Weapon, second_id).model_id) == (
        duplicate_id, twin_id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reference.merge_undone")).one()
    assert event.details["merge"] == merged.id and event.details["models_restored"] == 1
    assert event.details["pointed_back"]["weapon.make_id"] == 2
    assert db.session.get(ReferenceMerge, merged.id).undone_at is not None

    # Undone once: the page offers it no more, and a second undo is refused.
    page = actions.client.get(f"/reference/makes/{kept.id}").get_data(as_text=True)
    assert "Marques fusionnées dans celle-ci" not in page
    response = actions.post(f"/reference/merges/{merged.id}/undo", token_from=f"/reference/makes/{kept.id}",
                            follow_redirects=True)
    assert "Cette fusion a déjà été annulée." in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Make).where(Make.name == "Izhmash Works")) == 1


def test_a_record_changed_since_the_merge_keeps_its_change(starter, world):
    duplicate_id, _own_id, _twin_id, _calibre_id, first_id, second_id = duplicate_make(world)
    admin = world["ML"].user("platform_admin")
    kept = kalashnikov()
    service.merge(admin, "make", duplicate_id, kept.id)
    beretta = db.session.scalar(select(Make).where(Make.name == "Beretta"))
    db.session.get(Weapon, first_id).make_id = beretta.id
    db.session.get(Weapon, first_id).model_id = None
    db.session.commit()
    merged = db.session.scalars(select(ReferenceMerge)).one()
    service.undo_merge(admin, merged.id)
    db.session.commit()
    assert db.session.get(Weapon, first_id).make_id == beretta.id
    assert db.session.get(Weapon, second_id).make_id == duplicate_id


def test_a_merge_whose_make_kept_was_merged_since_waits_for_that_one(starter, world):
    duplicate_id, *_rest = duplicate_make(world)
    admin = world["ML"].user("platform_admin")
    kept = kalashnikov()
    kept_id = kept.id
    other = service.create_make(admin, "Kalashnikov Group", "RU")
    db.session.commit()
    service.merge(admin, "make", duplicate_id, kept_id)
    service.merge(admin, "make", kept_id, other.id)
    db.session.commit()
    first, second = db.session.scalars(select(ReferenceMerge).order_by(ReferenceMerge.id)).all()
    try:
        service.undo_merge(admin, first.id)
    except service.DomainError as error:
        assert "Kalashnikov" in str(error.message) and "annulez d'abord" in str(error.message)
    else:
        raise AssertionError("the undo was not refused")
    db.session.rollback()
    assert db.session.get(Make, duplicate_id) is None
    service.undo_merge(admin, second.id)
    service.undo_merge(admin, first.id)
    db.session.commit()
    assert db.session.get(Make, kept_id).name == "Kalashnikov"
    assert db.session.get(Make, duplicate_id).name == "Izhmash Works"
    assert db.session.scalar(select(Model.make_id).where(Model.name == "AKM")) == kept_id


def test_a_make_named_like_the_merged_one_since_stops_the_undo(starter, world, login_as):
    duplicate_id, *_rest = duplicate_make(world)
    admin = world["ML"].user("platform_admin")
    kept = kalashnikov()
    service.merge(admin, "make", duplicate_id, kept.id)
    service.create_make(admin, "izhmash works", None)
    db.session.commit()
    merged = db.session.scalars(select(ReferenceMerge)).one()
    actions = login_as(admin)
    response = actions.post(f"/reference/merges/{merged.id}/undo", token_from=f"/reference/makes/{kept.id}",
                            follow_redirects=True)
    assert "Une marque nommée « Izhmash Works » existe désormais" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ReferenceMerge, merged.id).undone_at is None
    assert db.session.scalars(select(Make.name).where(db.func.lower(Make.name) == "izhmash works")).all() == [
        "izhmash works"]


def test_only_a_platform_admin_undoes_a_merge(starter, world, login_as):
    duplicate_id, *_rest = duplicate_make(world)
    kept = kalashnikov()
    service.merge(world["ML"].user("platform_admin"), "make", duplicate_id, kept.id)
    db.session.commit()
    merged = db.session.scalars(select(ReferenceMerge)).one()
    actions = login_as(world["ML"].user("agency_admin"))
    response = actions.post(f"/reference/merges/{merged.id}/undo", token_from="/account")
    assert response.status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(ReferenceMerge, merged.id).undone_at is None
    assert db.session.get(Make, duplicate_id) is None
