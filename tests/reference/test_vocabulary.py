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
