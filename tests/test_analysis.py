"""Per-language analysis: stemming, normalisation, Turkic casing, pickling, language detection."""

from __future__ import annotations

import pickle

import pytest

from search_service.analysis import GENERIC, analyzer_for, check_languages, detect_language
from search_service.analysis.filters import NormalizeFilter, normalize
from search_service.errors import ConfigError
from search_service.indexing.schema import build_schema

COMBINING_DOT = "\u0307"
SITE_LANGUAGES = ("en", "ru", "az", "tr")


def terms(language: str, text: str) -> list[str]:
    """The index terms ``language``'s analyzer makes of ``text``."""
    return [token.text for token in analyzer_for(language)(text)]


# Stemming ------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["elections", "elected", "Election", "ELECTIONS"])
def test_english_inflections_share_the_stem_of_election(word):
    assert terms("en", word) == terms("en", "election")


def test_english_stemmer_reduces_running_to_run():
    assert terms("en", "running") == ["run"]
    assert terms("en", "runs") == ["run"]


def test_english_stemmer_keeps_unrelated_words_apart():
    assert terms("en", "elect") != terms("en", "select")


@pytest.mark.parametrize("word", ["парламента", "парламенте", "парламентом", "Парламенту"])
def test_russian_case_forms_share_the_stem_of_parliament(word):
    assert terms("ru", word) == terms("ru", "парламент") == ["парламент"]


def test_russian_analyzer_stems_every_word_of_a_sentence():
    assert terms("ru", "Депутаты парламента голосовали") == terms(
        "ru", "депутат парламент голосовал"
    )


def test_configured_german_gets_a_german_stemmer():
    assert check_languages(("de",)) == ("de",)
    assert terms("de", "Häusern") == terms("de", "Haus") == ["haus"]
    assert terms("de", "Wahlen") == terms("de", "Wahl")


def test_german_words_are_not_stemmed_by_the_generic_analyzer():
    assert terms(GENERIC, "Häusern") == ["häusern"]


def test_azerbaijani_is_normalised_and_stemmed_with_our_stemmer():
    assert terms("az", "BAKIDA Bakının") == ["bakı", "bakı"]


def test_check_languages_accepts_the_site_languages():
    assert check_languages(SITE_LANGUAGES) == SITE_LANGUAGES


@pytest.mark.parametrize("code", ["xx", "klingon", "EN", ""])
def test_check_languages_rejects_a_code_without_an_analyzer(code):
    with pytest.raises(ConfigError) as error:
        check_languages(("en", code))
    message = str(error.value)
    assert f"no analyzer for {code!r}" in message
    assert "SEARCH_LANGUAGES" in message
    assert "ru" in message.split("choose from", 1)[1]


# ё and е -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ru", GENERIC, "en"])
def test_yo_and_ye_spellings_analyse_the_same(language):
    assert terms(language, "ещё") == terms(language, "еще")
    assert terms(language, "ЕЩЁ") == terms(language, "еще")
    assert terms(language, "Ёлка") == terms(language, "елка")


def test_decomposed_yo_folds_like_the_precomposed_letter():
    assert terms("ru", "е\u0308ж") == terms("ru", "ёж") == terms("ru", "еж")


def test_search_for_ye_finds_an_article_spelled_with_yo_and_back(make_index, run_search):
    index_dir = make_index(
        [
            {"id": "yo", "lang": "ru", "title": "Мост", "body": "Рядом построят ещё один мост."},
            {"id": "ye", "lang": "ru", "title": "Ежи", "body": "В парке живут ежи и белки."},
        ]
    )
    assert [hit.id for hit in run_search(index_dir, "еще").results] == ["yo"]
    assert [hit.id for hit in run_search(index_dir, "ЕЩЁ").results] == ["yo"]
    assert [hit.id for hit in run_search(index_dir, "ёжи").results] == ["ye"]


# Turkic casing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("BAKI", "bakı"),
        ("İQTİSADİYYAT", "iqtisadiyyat"),
        ("IŞIQ", "ışıq"),
        ("İstanbul", "istanbul"),
        ("I\u0307STANBUL", "istanbul"),  # İ written as I + combining dot
        ("i\u0307stanbul", "istanbul"),  # what str.lower() makes of İstanbul
    ],
)
def test_turkic_casing_folds_dotted_and_dotless_i(written, folded):
    assert normalize(written, turkic=True) == folded
    assert terms("az", written) == [folded]


def test_azerbaijani_analyzer_keeps_dotless_i_and_drops_the_dot_of_capital_i():
    assert terms("az", "BAKI İQTİSADİYYAT") == ["bakı", "iqtisadiyyat"]
    assert terms("az", "BAKI") == terms("az", "Bakı") != terms("az", "baki")


def test_turkish_analyzer_treats_capital_i_as_dotless():
    assert terms("tr", "BAKI") == terms("tr", "bakı") != terms("tr", "baki")
    assert terms("tr", "IŞIK") == terms("tr", "ışık")
    assert terms("tr", "İSTANBUL") == ["istanbul"]


@pytest.mark.parametrize("language", [*SITE_LANGUAGES, GENERIC, "de"])
@pytest.mark.parametrize(
    "text", ["İSTANBUL İqtisadiyyat", "I\u0307zmir", "i\u0307stanbul", "İİİ", "Diyarbakır'İN"]
)
def test_no_analyzer_ever_outputs_a_combining_dot(language, text):
    output = terms(language, text)
    assert output
    assert not any(COMBINING_DOT in term for term in output)


def test_english_analyzer_folds_dotted_capital_i_to_plain_i():
    assert terms("en", "İstanbul") == terms("en", "Istanbul") == ["istanbul"]


def test_english_analyzer_uses_ordinary_casing_for_capital_i():
    assert terms("en", "IRAN") == ["iran"]


def test_turkish_name_in_an_english_article_is_found_without_the_dot(make_index, run_search):
    index_dir = make_index(
        [
            {
                "id": "ist",
                "lang": "en",
                "title": "Ferry timetable",
                "body": "New ferries will link İstanbul and Bursa from June.",
            }
        ]
    )
    for query in ("istanbul", "Istanbul", "İSTANBUL"):
        assert [hit.id for hit in run_search(index_dir, query).results] == ["ist"], query


@pytest.mark.parametrize("language", ["tr", "az"])
@pytest.mark.parametrize("word", ["Ankara'da", "Ankara’ya", "Ankaraʼnın", "Ankara"])
def test_turkic_suffixes_after_an_apostrophe_are_dropped(language, word):
    assert terms(language, word) == terms(language, "Ankara")


def test_other_languages_keep_both_sides_of_an_apostrophe():
    assert terms("en", "O'Brien's") == ["o", "brien", "s"]


def test_a_turkish_proper_noun_is_found_whatever_its_apostrophe_suffix(make_index, run_search):
    index_dir = make_index(
        [
            {"id": "ank", "lang": "tr", "title": "Ankara'da yeni metro hattı açıldı"},
            {"id": "un", "lang": "tr", "title": "Oyunun kuralları değişti", "body": "un"},
        ]
    )
    response = run_search(index_dir, "Ankara'nın metro", lang="tr")
    assert [hit.id for hit in response.results] == ["ank"]
    assert not response.relaxed


# NFKC ----------------------------------------------------------------------------------------


def test_ligatures_unfold_to_plain_letters():
    assert terms(GENERIC, "ﬁnance") == ["finance"]
    assert terms("en", "ﬁnance") == terms("en", "finance")
    assert terms(GENERIC, "ﬂight") == ["flight"]


def test_full_width_letters_and_digits_become_ascii():
    assert terms(GENERIC, "ＢＵＤＧＥＴ ２０２４") == ["budget", "2024"]
    assert terms("en", "Ｅｌｅｃｔｉｏｎｓ") == terms("en", "elections")


def test_decomposed_accents_match_precomposed_ones():
    assert terms(GENERIC, "cafe\u0301") == terms(GENERIC, "café") == ["café"]
    assert terms("ru", "и\u0306од") == terms("ru", "йод")


def test_punctuation_and_symbols_make_no_terms():
    assert terms("en", "— … !? «» 🙂 \u200d") == []


# Pickling ------------------------------------------------------------------------------------


def test_schema_survives_pickling_with_working_analyzers():
    schema = pickle.loads(pickle.dumps(build_schema(SITE_LANGUAGES)))

    def analysed(field: str, text: str) -> list[str]:
        return [token.text for token in schema[field].analyzer(text)]

    assert analysed("text_en", "elections running") == ["elect", "run"]
    assert analysed("title_ru", "парламентом ещё") == terms("ru", "парламент еще")
    assert analysed("text_az", "BAKI İQTİSADİYYAT") == ["bakı", "iqtisadiyyat"]
    assert analysed("title_az", "Bakıda") == ["bakı"]
    assert analysed("text_tr", "BAKI") == terms("tr", "bakı")
    assert analysed(f"text_{GENERIC}", "ﬁnance ЁЖ") == ["finance", "еж"]


def test_schema_has_a_field_set_per_language_plus_generic():
    schema = build_schema(SITE_LANGUAGES)
    for group in (*SITE_LANGUAGES, GENERIC):
        for prefix in ("text_", "title_"):
            assert f"{prefix}{group}" in schema


def test_normalize_filter_pickles_with_its_turkic_setting():
    for turkic in (False, True):
        restored = pickle.loads(pickle.dumps(NormalizeFilter(turkic=turkic)))
        assert restored == NormalizeFilter(turkic=turkic)
        assert restored != NormalizeFilter(turkic=not turkic)


# Language detection --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Парламент принял бюджет", "ru"),
        ("Новый смартфон от Apple поступил в продажу", "ru"),
        ("Parliament passes the budget", "en"),
        ("Storm closes the airport", "en"),
        ("Bakıda yeni məktəb açıldı", "az"),
        ("Gənclər üçün idman festivalı", "az"),
        ("İstanbul'da yağmur uyarısı", "tr"),
        # Azerbaijani without ə: q/x and function words tell it from Turkish
        ("Bakıda metro stansiyası bağlanıb", "az"),
        ("Prezident Naxçıvana səfər edib", "az"),
        ("Yaxın Şərqdə atəşkəs razılaşdırılıb", "az"),
        ("Ankara'da toplantı yapılıyor", "tr"),
        ("Kaç kişi katıldı", "tr"),
        # Russian quoting Latin names, links ignored
        ("Новый релиз Python и Django", "ru"),
        ("[Подробнее](https://example.com/some/very/long/english/path) тут", "ru"),
        ("Zürich hosts the conference", "en"),
    ],
)
def test_detect_language_recognises_short_titles(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text", ["", "   ", "2024", "12:30 — 14:45!", "🙂🙂", "+7 (495) 123-45-67"]
)
def test_detect_language_gives_none_without_letters(text):
    assert detect_language(text) is None
