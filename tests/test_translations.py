"""Every user-facing string is wrapped and translated into French and Arabic: a
message extracted from the code or the templates has, in each language's catalogue, a
non-empty translation that is not fuzzy, with the same placeholders as the English."""

import re

import pytest

from registry.i18n import CATALOGUES, TRANSLATED_LANGUAGES, extract, read_catalogue

PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdf]")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def _problems(folder: str, language: str) -> tuple[list[str], list[str]]:
    catalogue = read_catalogue(folder, language)
    missing, wrong = [], []
    for message in extract(folder):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        translated = catalogue.get(message.id, context=message.context)
        strings = translated.string if translated else None
        strings = strings if isinstance(strings, tuple) else (strings,)
        if not translated or translated.fuzzy or not all(strings):
            missing.append(source)
            continue
        if isinstance(message.id, str):
            if _placeholders(strings[0]) != _placeholders(message.id):
                wrong.append(f"{message.id!r} -> {strings[0]!r}")
        else:
            # A plural form may leave out the count ("one field", "two fields"), never
            # name a placeholder the English does not have.
            allowed = set(_placeholders(message.id[0])) | set(_placeholders(message.id[1]))
            for form in strings:
                if not set(_placeholders(form)) <= allowed:
                    wrong.append(f"{message.id[1]!r} -> {form!r}")
    return missing, wrong


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
@pytest.mark.parametrize("folder", sorted(CATALOGUES))
def test_every_string_of_the_catalogue_is_translated_with_its_placeholders(folder, language):
    missing, wrong = _problems(folder, language)
    assert not missing, f"{folder} [{language}]: {len(missing)} strings untranslated: {missing[:10]}"
    assert not wrong, f"{folder} [{language}]: placeholders differ: {wrong[:10]}"


def test_arabic_catalogues_carry_the_six_plural_forms_of_arabic():
    for folder in CATALOGUES:
        catalogue = read_catalogue(folder, "ar")
        assert catalogue.num_plurals == 6, folder
        for message in catalogue:
            if message.id and isinstance(message.id, tuple):
                assert len(message.string) == 6 and all(message.string), (folder, message.id)
