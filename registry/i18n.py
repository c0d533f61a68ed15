"""French, English and Arabic catalogues. Each feature keeps its own catalogue beside its code
(`registry/<feature>/translations`), so features are translated independently; Flask-Babel
merges them. `flask translations update` extracts new strings into the French and Arabic .po files,
`flask translations compile` builds the .mo files (the set-up runs it; .mo files are
never committed)."""

from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from registry.config import PROJECT_ROOT

METHOD_MAP = [("**.py", "python"), ("**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2), "_n": (1, 2)}
TRANSLATED_LANGUAGES = ("fr", "ar")  # English is the source language

# catalogue folder -> the source folders whose strings it holds
CATALOGUES: dict[str, list[str]] = {
    "registry/translations": [
        "registry/__init__.py", "registry/web.py", "registry/errors.py", "registry/inputs.py", "registry/auth",
        "registry/main", "templates/base.html", "templates/macros.html",
        "templates/errors", "templates/auth", "templates/admin", "templates/main",
    ],
}


def reads_right_to_left() -> bool:
    """Whether the reader's language is written right to left (Arabic): pages get
    dir="rtl", spreadsheets their sheets from the right."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale is not None and locale.character_order == "right-to-left"


def register_catalogue(folder: str, sources: list[str]) -> None:
    CATALOGUES[folder] = sources


def _discover_feature_catalogues() -> None:
    for folder in sorted(PROJECT_ROOT.glob("registry/*/translations")):
        feature = folder.parent.name
        key = f"registry/{feature}/translations"
        if key not in CATALOGUES:
            sources = [f"registry/{feature}"]
            if (PROJECT_ROOT / "templates" / feature).exists():
                sources.append(f"templates/{feature}")
            CATALOGUES[key] = sources


def extract(folder: str) -> Catalog:
    """Every translatable string of the catalogue's sources."""
    catalog = Catalog(project="registry", charset="utf-8")
    for source in CATALOGUES[folder]:
        path = PROJECT_ROOT / source
        if path.is_file():
            entries = extract_from_dir(path.parent, METHOD_MAP, keywords=KEYWORDS,
                                       comment_tags=("TRANSLATORS:",),
                                       directory_filter=lambda _p: True)
            entries = [e for e in entries if e[0] == path.name]
            base = path.parent
        else:
            entries = extract_from_dir(path, METHOD_MAP, keywords=KEYWORDS,
                                       comment_tags=("TRANSLATORS:",),
                                       directory_filter=lambda p: "translations" not in p)
            base = path
        for filename, lineno, message, comments, context in entries:
            location = (str((base / filename).relative_to(PROJECT_ROOT)), lineno)
            catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def po_path(folder: str, language: str) -> Path:
    return PROJECT_ROOT / folder / language / "LC_MESSAGES" / "messages.po"


def read_catalogue(folder: str, language: str) -> Catalog:
    path = po_path(folder, language)
    if not path.exists():
        return Catalog(locale=language, project="registry")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def update(folder: str) -> dict[str, int]:
    """Merge newly extracted strings into each language's .po; returns untranslated counts."""
    template = extract(folder)
    untranslated = {}
    for language in TRANSLATED_LANGUAGES:
        catalog = read_catalogue(folder, language)
        before = {(m.id, m.context): m.string for m in catalog if m.id}
        creation_date = catalog.creation_date
        catalog.update(template, no_fuzzy_matching=True)
        after = {(m.id, m.context): m.string for m in catalog if m.id}
        path = po_path(folder, language)
        if before != after or not path.exists():
            # Rewritten only when its strings change, so that an update run in one
            # work tree does not touch another feature's catalogue for a date.
            catalog.creation_date = creation_date
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                write_po(handle, catalog, width=100, omit_header=False, ignore_obsolete=True)
        untranslated[language] = sum(1 for m in catalog if m.id and not _translated(m))
    return untranslated


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


def compile_all() -> list[Path]:
    written = []
    for folder in CATALOGUES:
        for language in TRANSLATED_LANGUAGES:
            path = po_path(folder, language)
            if not path.exists():
                continue
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
            target = path.with_suffix(".mo")
            with target.open("wb") as handle:
                write_mo(handle, catalog, use_fuzzy=False)
            written.append(target)
    return written


_discover_feature_catalogues()

translations_cli = click.Group("translations", help="French, English and Arabic catalogues.")


@translations_cli.command("update")
def update_command():
    """Extract the strings of every catalogue into its .po files."""
    for folder in CATALOGUES:
        counts = update(folder)
        click.echo(f"{folder}: {counts.get('fr', 0)} French and {counts.get('ar', 0)} Arabic strings to translate")


@translations_cli.command("compile")
def compile_command():
    """Build the .mo files from the .po files."""
    click.echo(f"{len(compile_all())} catalogues compiled.")
