"""The search page's interface language: gettext catalogs through Flask-Babel, CLDR formats.

The interface texts are the English message ids in the templates; each other language is a
catalog, ``translations/<lang>/LC_MESSAGES/messages.po`` (plural rules in its header), read
and compiled in memory when the app is created, so a translator edits only the ``.po`` file.
English needs no catalog. A language is chosen by ``?ui=``, else the browser's
Accept-Language, else English; dates and numbers are written the language's CLDR way.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, request
from flask_babel import Babel, Domain, format_date, get_locale, lazy_gettext

CATALOGS = Path(__file__).resolve().parent.parent / "translations"
SOURCE_LANGUAGE = "en"  # the language of the message ids, which needs no catalog

# Names of the content languages, in the interface language; other codes are shown as codes.
LANGUAGE_NAMES = {
    "en": lazy_gettext("English"),
    "ru": lazy_gettext("Russian"),
    "az": lazy_gettext("Azerbaijani"),
}


class Catalogs(Domain):
    """Flask-Babel's message domain over catalogs compiled once from their ``.po`` files, so
    there is no compiled ``.mo`` file to keep in step with them."""

    def __init__(self, translations: dict[str, Translations]) -> None:
        super().__init__()
        self.translations = translations

    def get_translations(self) -> NullTranslations:
        return self.translations.get(str(get_locale()), NullTranslations())


def load_catalogs(directory: Path) -> dict[str, Translations]:
    """``{"ru": translations, ...}`` for every ``<lang>/LC_MESSAGES/messages.po`` under
    ``directory``; fuzzy entries are left out, as ``msgfmt`` does."""
    files = sorted(directory.glob("*/LC_MESSAGES/messages.po"))
    return _compile(tuple((po, po.stat().st_mtime_ns) for po in files))


@cache
def _compile(files: tuple[tuple[Path, int], ...]) -> dict[str, Translations]:
    """Compiled once per process for the same files (a few milliseconds each)."""
    translations = {}
    for po, _ in files:
        language = po.parents[1].name
        with po.open("rb") as file:
            catalog = read_po(file, locale=language)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        translations[language] = Translations(compiled)
    return translations


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with the catalogs in :data:`CATALOGS`.

    The interface languages are English and every catalog, in the order of the site's
    ``SEARCH_LANGUAGES`` and then alphabetically: that order breaks ties between languages
    a browser accepts equally (``Accept-Language: ru, az``).
    """
    translations = load_catalogs(CATALOGS)
    site_order = list(app.extensions["search_service"].config.languages)
    languages = sorted(
        {SOURCE_LANGUAGE, *translations},
        key=lambda code: (
            code != SOURCE_LANGUAGE,
            site_order.index(code) if code in site_order else len(site_order),
            code,
        ),
    )
    app.extensions["ui_languages"] = tuple(languages)
    babel = Babel(app, default_locale=SOURCE_LANGUAGE, locale_selector=choose_ui)
    babel.domain_instance = Catalogs(translations)
    app.jinja_env.globals.update(language_name=language_name, published_date=published_date)


def ui_languages() -> tuple[str, ...]:
    """The interface languages of this app, English first."""
    return current_app.extensions["ui_languages"]


def choose_ui() -> str:
    """``?ui=`` when it names an interface language, else Accept-Language, else English."""
    languages = ui_languages()
    asked = request.args.get("ui", "").strip().lower()
    if asked in languages:
        return asked
    return request.accept_languages.best_match(languages) or SOURCE_LANGUAGE


def language_name(code: str) -> str:
    """A content language's name in the interface language (``ru`` → ``Russian``)."""
    name = LANGUAGE_NAMES.get(code)
    return str(name) if name is not None else code


def published_date(published: str) -> str:
    """``2024-10-15T11:20:00+04:00`` → the CLDR long date of the interface language
    (``October 15, 2024``, ``15 октября 2024 г.``), the day as the article gives it."""
    if not published:
        return ""
    try:
        day = datetime.fromisoformat(published).date()
    except ValueError:
        try:
            day = date.fromisoformat(published[:10])
        except ValueError:
            return published
    return format_date(day, "long")
