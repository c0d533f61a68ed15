"""A new password is not one of the passwords everyone tries first, nor one built on it."""

from registry.auth import service
from registry.auth.service import common_passwords, password_problems


def test_the_list_shipped_holds_the_common_passwords_of_the_public_lists_and_of_the_region():
    common = common_passwords()
    assert len(common) > 10_000
    for password in ("123456", "password", "qwerty", "jennifer", "trustno1",  # public lists
                     "motdepasse", "azerty123", "bamako2024", "ouagadougou", "niamey"):  # the region
        assert password in common, password
    assert common_passwords() is common  # read once a process


def test_a_common_password_with_digits_and_symbols_around_it_is_refused(app):
    for password in ("Azerty123456!", "Bamako2024!!", "Motdepasse2026!", "Jennifer-2026",
                     "P@ssw0rd-1234", "Ouagadougou-1"):
        assert service.is_common_password(password), password
    assert not service.is_common_password("Niamey-Gao-2026!")
    assert not password_problems("Niamey-Gao-2026!")


def _change_password(actions, new_password: str):
    return actions.post("/account", {
        "action": "password", "password-current_password": "Correct-Horse-42",
        "password-new_password": new_password, "password-confirm_password": new_password})


def test_a_french_user_is_told_in_french_and_keeps_its_password(world, login_as, actions):
    officer = world["ML"].user("officer")
    login_as(officer)
    page = _change_password(actions, "Azerty123456!").get_data(as_text=True)
    assert ("Ce mot de passe est trop facile à deviner : c&#39;est l&#39;un des mots de passe "
            "les plus courants") in page
    actions.logout()
    assert actions.login(officer, "Azerty123456!").status_code != 302
    assert actions.login(officer).status_code == 302  # the old one still opens the account


def test_an_english_user_is_told_in_english(world, login_as, actions):
    officer = world["NE"].user("officer")
    officer.language = "en"
    from registry.extensions import db

    db.session.commit()
    login_as(officer)
    page = _change_password(actions, "Bamako2024!!").get_data(as_text=True)
    assert "This password is too easy to guess: it is one of the most common passwords" in page
    assert _change_password(actions, "Niamey-Gao-2026!").status_code == 302
