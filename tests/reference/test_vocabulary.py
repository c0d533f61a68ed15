"""What the registry names in the reference table reads in the reader's language."""


def _identify(login_as, user, language=None):
    actions = login_as(user)
    if language:
        actions.post("/language", {"language": language}, token_from="/reference/identify")
    return actions.post("/reference/identify", {"make": "fabrication locale", "model": "fusil monocoup",
                                                "calibre": "cal 12", "type": ""}).get_data(as_text=True)


def test_the_french_identification_page_names_types_gauges_and_local_makes_in_french(starter, world,
                                                                                       login_as):
    page = _identify(login_as, world["ML"].user("officer"))
    result = page.split('id="result"')[1]
    for french in ("Fabrication locale", "Fusil artisanal à un canon", "calibre 12", "Arme artisanale"):
        assert french in result
    for english in ("Locally made", "12 gauge", "Craft weapon", "Single-barrel shotgun"):
        assert english not in result


def test_the_english_page_keeps_the_english_names(starter, world, login_as):
    page = _identify(login_as, world["ML"].user("officer"), "en")
    result = page.split('id="result"')[1]
    for english in ("Locally made", "Single-barrel shotgun", "12 gauge", "Craft weapon"):
        assert english in result


def test_the_arabic_page_names_types_gauges_and_local_makes_in_arabic(starter, world, login_as):
    page = _identify(login_as, world["ML"].user("officer"), "ar")
    result = page.split('id="result"')[1]
    for arabic in ("صنع محلي", "بندقية خرطوش أحادية السبطانة", "عيار 12", "سلاح تقليدي الصنع"):
        assert arabic in result
    for other in ("Locally made", "Fabrication locale", "12 gauge", "Craft weapon", "Arme artisanale"):
        assert other not in result


def test_a_type_typed_in_arabic_is_identified_and_a_type_gets_its_arabic_name(starter, world, login_as):
    from registry.extensions import db
    from registry.reference.models import WeaponType

    actions = login_as(world["ML"].user("officer"))
    actions.post("/language", {"language": "ar"}, token_from="/reference/identify")
    page = actions.post("/reference/identify", {"make": "", "model": "", "calibre": "",
                                                "type": "بندقية هجومية"}).get_data(as_text=True)
    assert "بندقية هجومية" in page.split('id="result"')[1]
    assault = db.session.scalar(db.select(WeaponType).where(WeaponType.name_en == "Assault rifle"))
    assert assault.name_ar == "بندقية هجومية"


def test_a_platform_administrator_names_a_type_in_arabic_and_an_arabic_reader_sees_it(starter, world, client,
                                                                                     login_as):
    from registry.extensions import db
    from registry.reference.models import WeaponType

    actions = login_as(world["ML"].user("platform_admin"))
    flare = db.session.scalar(db.select(WeaponType).where(WeaponType.name_en == "Alarm pistol (blank-firing)"))
    actions.post(f"/reference/types/{flare.id}", {"name_en": flare.name_en, "name_fr": flare.name_fr,
                                                   "name_ar": "مسدس إشارة"})
    db.session.expire_all()
    assert db.session.get(WeaponType, flare.id).name_ar == "مسدس إشارة"
    actions.post("/reference/types", {"name_en": "Flare gun", "name_fr": "Pistolet lance-fusées",
                                      "name_ar": "مسدس مضيء"})
    added = db.session.scalar(db.select(WeaponType).where(WeaponType.name_en == "Flare gun"))
    assert added is not None and added.name_ar == "مسدس مضيء"
    actions.post("/language", {"language": "ar"}, token_from="/reference/types")
    page = client.get(f"/reference/types/{flare.id}").get_data(as_text=True)
    assert "<h1>مسدس إشارة" in page and 'value="مسدس إشارة"' in page
