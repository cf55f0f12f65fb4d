"""Catalog maintenance: fill the English catalog from the source, and check every catalog.

``python -m app.i18n_tools check`` fails when a shipped catalog is incomplete, fuzzy, or has
placeholders that differ from the source; the test suite runs the same check.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from .i18n import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")
SOURCE_LANGUAGE = "en"
"""Message ids are written in English, so the English catalog is the source repeated."""


def catalog_path(code: str) -> Path:
    """Where the catalog of ``code`` lives."""
    return ROOT / code / "LC_MESSAGES" / "messages.po"


def load(code: str) -> Catalog:
    """Read one catalog."""
    with catalog_path(code).open("rb") as handle:
        return read_po(handle, locale=code)


def _names(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def catalog_problems(code: str, template: Catalog | None = None) -> list[str]:
    """Everything wrong with one catalog; empty when it is complete and consistent."""
    catalog = load(code)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        label = message.id if isinstance(message.id, str) else message.id[0]
        if message.fuzzy:
            problems.append(f"{code}: fuzzy: {label!r}")
        forms = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if not all(forms) or (message.pluralizable and len(forms) != catalog.num_plurals):
            problems.append(f"{code}: untranslated: {label!r}")
            continue
        if message.pluralizable:
            source = _names(message.id[0]) | _names(message.id[1])
            required = source - {"num"}  # a singular form may spell out the number
            for form in forms:
                if not _names(form) <= source or not required <= _names(form):
                    problems.append(f"{code}: placeholders differ: {label!r}")
                    break
        elif _names(message.id) != _names(forms[0]):
            problems.append(f"{code}: placeholders differ: {label!r}")
    if template is not None:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        for message in template:
            label = message.id if isinstance(message.id, str) else message.id[0]
            if message.id and label not in known:
                problems.append(f"{code}: missing: {label!r}")
    return problems


def load_template() -> Catalog:
    """The extracted source strings (translations/messages.pot)."""
    with (ROOT / "messages.pot").open("rb") as handle:
        return read_po(handle)


def fill_english() -> None:
    """Copy each source string into the English catalog, where it is still empty."""
    catalog = load(SOURCE_LANGUAGE)
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            if not all(message.string):
                message.string = tuple(message.id)
        elif not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
    with catalog_path(SOURCE_LANGUAGE).open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=True)


def main(argv: list[str]) -> int:
    """Command line: ``fill-english``, or ``check [LANG ...]``."""
    if argv[1:] == ["fill-english"]:
        fill_english()
        return 0
    if argv[1:2] == ["check"]:
        template = load_template()
        codes = argv[2:] or [language.code for language in LANGUAGES]
        problems = [p for code in codes for p in catalog_problems(code, template)]
        print("\n".join(problems) or "all catalogs complete")
        return 1 if problems else 0
    print("usage: python -m app.i18n_tools fill-english|check [LANG ...]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
