"""The page's interface languages: gettext catalogs complete and in step with the templates,
CLDR plural forms, dates and numbers, and a new language added by a catalog alone."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po
from flask import render_template_string
from flask_babel import format_date

from search_service import create_app
from search_service.web import i18n

CATALOGS = i18n.CATALOGS
RESULTS = '{{ ngettext("%(num)s result", "%(num)s results", n, num=n | numberformat) }}'


def _read(path: Path, locale: str | None = None):
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def _source_messages() -> set[str | tuple[str, str]]:
    """The message ids the templates and code mark for translation, extracted as
    ``make translations`` does (its mapping file, plus the ``lazy_gettext`` keyword)."""
    root = CATALOGS.parent.parent
    with (root / "babel.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    found = extract_from_dir(root, method_map, options_map, keywords=keywords)
    return {message for _, _, message, _, _ in found}


def test_the_template_catalog_lists_exactly_the_messages_of_the_templates_and_code():
    template = _read(CATALOGS / "messages.pot")
    ids = {message.id for message in template if message.id}
    assert ids == _source_messages(), "run `make translations` and translate the new texts"


LANGUAGES = sorted(po.parents[1].name for po in CATALOGS.glob("*/LC_MESSAGES/messages.po"))


def test_the_package_has_the_russian_and_azerbaijani_catalogs():
    assert {"ru", "az"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(language):
    catalog = _read(CATALOGS / language / "LC_MESSAGES" / "messages.po", language)
    template = _read(CATALOGS / "messages.pot")
    assert {m.id for m in catalog if m.id} == {m.id for m in template if m.id}
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and not message.fuzzy, f"{language}: {message.id!r} untranslated"
    # Babel's checkers: python-format placeholders agree, one string per plural form.
    assert [(m.id, errors) for m, errors in catalog.check()] == []


@pytest.fixture(scope="module")
def app(sample_index):
    return create_app({"index_dir": sample_index})


def _in(app, ui: str, template: str, **values) -> str:
    with app.test_request_context(f"/?ui={ui}"):
        return render_template_string(template, **values)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1 результат"),
        (2, "2 результата"),
        (4, "4 результата"),
        (5, "5 результатов"),
        (11, "11 результатов"),
        (12, "12 результатов"),
        (21, "21 результат"),
        (22, "22 результата"),
        (111, "111 результатов"),
        (1001, "1\xa0001 результат"),
        (12345, "12\xa0345 результатов"),
    ],
)
def test_russian_counts_take_the_cldr_plural_form_and_digit_grouping(app, n, text):
    assert _in(app, "ru", RESULTS, n=n) == text


@pytest.mark.parametrize(
    ("ui", "n", "text"),
    [
        ("en", 1, "1 result"),
        ("en", 12345, "12,345 results"),
        ("az", 1, "1 nəticə"),
        ("az", 12345, "12.345 nəticə"),
    ],
)
def test_english_and_azerbaijani_counts(app, ui, n, text):
    assert _in(app, ui, RESULTS, n=n) == text


@pytest.mark.parametrize(
    ("ui", "text"),
    [("en", "March 4, 2025"), ("ru", "4 марта 2025\u202fг."), ("az", "4 mart 2025")],
)
def test_dates_are_written_the_cldr_long_way_of_the_interface_language(app, ui, text):
    assert _in(app, ui, "{{ published_date(p) }}", p="2025-03-04T23:30:00+04:00") == text
    assert _in(app, ui, "{{ published_date(p) }}", p="2025-03-04") == text


def test_a_date_that_cannot_be_read_is_shown_as_written(app):
    assert _in(app, "ru", "{{ published_date(p) }}", p="spring 2025") == "spring 2025"


def _catalog_for(language: str, directory: Path, translations: dict) -> None:
    """What a translator does: start from messages.pot (``pybabel init``), fill in texts."""
    catalog = _read(CATALOGS / "messages.pot", language)
    for message in catalog:
        if message.id in translations:
            message.string = translations[message.id]
    folder = directory / language / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as file:
        write_po(file, catalog)


def test_a_fourth_interface_language_is_a_catalog_and_nothing_else(
    sample_index, tmp_path, monkeypatch
):
    shutil.copytree(CATALOGS, tmp_path, dirs_exist_ok=True)
    _catalog_for(
        "de",
        tmp_path,
        {
            "What are you looking for?": "Was suchen Sie?",
            ("%(num)s result", "%(num)s results"): ("%(num)s Ergebnis", "%(num)s Ergebnisse"),
        },
    )
    monkeypatch.setattr(i18n, "CATALOGS", tmp_path)
    app = create_app({"index_dir": sample_index})
    client = app.test_client()

    german = client.get("/?q=parliament&ui=de").get_data(as_text=True)
    assert '<html lang="de">' in german
    assert '<h1 id="heading">Was suchen Sie?</h1>' in german
    assert " Ergebnis" in german
    assert 'hreflang="de"' in german  # offered among the interface languages
    assert "Filters" in german  # untranslated texts fall back to English
    chosen = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "Was suchen Sie?" in chosen.get_data(as_text=True)
    assert _in(app, "de", RESULTS, n=1234) == "1.234 Ergebnisse"
    with app.test_request_context("/?ui=de"):
        assert format_date(date(2025, 3, 4), "long") == "4. März 2025"
    # The languages of the site come first, in its order; the new one after them.
    with app.app_context():
        assert i18n.ui_languages() == ("en", "ru", "az", "de")


def test_without_catalogs_the_page_is_english_only(sample_index, tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "CATALOGS", tmp_path)
    client = create_app({"index_dir": sample_index}).test_client()
    html = client.get("/?ui=ru", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<h1 id="heading">What are you looking for?</h1>' in html
    assert 'hreflang="ru"' not in html
