"""Every user-facing string is wrapped and translated into French."""

import pytest

from registry.i18n import CATALOGUES, extract, read_catalogue


@pytest.mark.parametrize("folder", sorted(CATALOGUES))
def test_every_string_of_the_catalogue_has_a_french_translation(folder):
    french = read_catalogue(folder, "fr")
    missing = []
    for message in extract(folder):
        if not message.id:
            continue
        translated = french.get(message.id, context=message.context)
        text = translated.string if translated else None
        if isinstance(text, tuple):
            text = text[0]
        if not text or (translated and translated.fuzzy):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert not missing, f"{folder}: {len(missing)} strings without French: {missing[:10]}"
