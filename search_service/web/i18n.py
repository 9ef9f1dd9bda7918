"""Interface text of the search page in English, Russian and Azerbaijani.

Chosen by ``?ui=``, else the browser's Accept-Language, else English. Dates are written
with the month names of the interface language.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import request

UI_LANGUAGES = ("en", "ru", "az")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "heading": "What are you looking for?",
        "search": "Search",
        "query_label": "Search the news",
        "filters": "Filters",
        "language": "Language",
        "any_language": "Any language",
        "category": "Category",
        "any_category": "Any category",
        "from": "From",
        "to": "To",
        "year": "Year",
        "sort": "Sort by",
        "relevance": "Relevance",
        "newest": "Newest first",
        "apply": "Apply",
        "clear_filters": "Clear filters",
        "did_you_mean": "Did you mean",
        "no_results": "Nothing found for “{q}”.",
        "no_results_filtered": "Nothing matches with the current filters.",
        "try_without_filters": "Search without filters",
        "tips": "Check the spelling, try fewer or more general words, or another language.",
        "relaxed": "No article has all of your words; these have some of them.",
        "relaxed_some_one": "{n} article has all your words; more below have some of them.",
        "relaxed_some_few": "{n} articles have all your words; more below have some of them.",
        "relaxed_some_many": "{n} articles have all your words; more below have some of them.",
        "previous": "Previous",
        "next": "Next",
        "page": "Page {n}",
        "pages": "Pages",
        "night_theme": "Night theme",
        "light_theme": "Light theme",
        "interface": "Interface language",
        "searching": "Searching…",
        "suggestions": "Suggestions",
        "start": "Type a few words and press Enter.",
        "error": "The search failed: {message}",
        "error_uri_too_long": (
            "This address is too long to search. Shorten the query (at most 1,000 characters)"
            " or remove some filters."
        ),
        "error_request_header_fields_too_large": (
            "Your browser sent too much data with this request (often too many cookies). "
            "Clear this site's cookies and try again."
        ),
        "error_too_many_requests": (
            "Too many searches from your address in a short time. Wait a minute and try again."
        ),
        "results_one": "{n} result",
        "results_few": "{n} results",
        "results_many": "{n} results",
        "lang_en": "English",
        "lang_ru": "Russian",
        "lang_az": "Azerbaijani",
        "article": "Article",
    },
    "ru": {
        "heading": "Что вы ищете?",
        "search": "Найти",
        "query_label": "Поиск по новостям",
        "filters": "Фильтры",
        "language": "Язык",
        "any_language": "Любой язык",
        "category": "Рубрика",
        "any_category": "Любая рубрика",
        "from": "С",
        "to": "По",
        "year": "Год",
        "sort": "Сортировка",
        "relevance": "По релевантности",
        "newest": "Сначала новые",
        "apply": "Применить",
        "clear_filters": "Сбросить фильтры",
        "did_you_mean": "Возможно, вы имели в виду",
        "no_results": "По запросу «{q}» ничего не найдено.",
        "no_results_filtered": "С текущими фильтрами ничего не найдено.",
        "try_without_filters": "Искать без фильтров",
        "tips": "Проверьте написание, попробуйте меньше слов или более общие слова.",
        "relaxed": "Ни одна статья не содержит всех слов; показаны статьи с частью из них.",
        "relaxed_some_one": "{n} статья содержит все слова; ниже — статьи с частью из них.",
        "relaxed_some_few": "{n} статьи содержат все слова; ниже — статьи с частью из них.",
        "relaxed_some_many": "{n} статей содержат все слова; ниже — статьи с частью из них.",
        "previous": "Назад",
        "next": "Вперёд",
        "page": "Страница {n}",
        "pages": "Страницы",
        "night_theme": "Ночная тема",
        "light_theme": "Светлая тема",
        "interface": "Язык интерфейса",
        "searching": "Ищем…",
        "suggestions": "Подсказки",
        "start": "Введите несколько слов и нажмите Enter.",
        "error": "Поиск не удался: {message}",
        "error_uri_too_long": (
            "Адрес слишком длинный для поиска. Сократите запрос (не более 1000 символов) или "
            "уберите часть фильтров."
        ),
        "error_request_header_fields_too_large": (
            "Браузер отправил слишком много данных с запросом (обычно слишком много cookie). "
            "Удалите cookie этого сайта и повторите."
        ),
        "error_too_many_requests": (
            "Слишком много запросов с вашего адреса за короткое время. Подождите минуту и "
            "повторите."
        ),
        "results_one": "{n} результат",
        "results_few": "{n} результата",
        "results_many": "{n} результатов",
        "lang_en": "Английский",
        "lang_ru": "Русский",
        "lang_az": "Азербайджанский",
        "article": "Статья",
    },
    "az": {
        "heading": "Nə axtarırsınız?",
        "search": "Axtar",
        "query_label": "Xəbərlərdə axtarış",
        "filters": "Filtrlər",
        "language": "Dil",
        "any_language": "İstənilən dil",
        "category": "Kateqoriya",
        "any_category": "İstənilən kateqoriya",
        "from": "Başlanğıc",
        "to": "Son",
        "year": "İl",
        "sort": "Sıralama",
        "relevance": "Uyğunluğa görə",
        "newest": "Əvvəlcə yenilər",
        "apply": "Tətbiq et",
        "clear_filters": "Filtrləri sıfırla",
        "did_you_mean": "Bunu nəzərdə tuturdunuz",
        "no_results": "“{q}” üzrə heç nə tapılmadı.",
        "no_results_filtered": "Cari filtrlərlə heç nə tapılmadı.",
        "try_without_filters": "Filtrsiz axtar",
        "tips": "Yazılışı yoxlayın, daha az və ya daha ümumi sözlər sınayın.",
        "relaxed": "Heç bir məqalədə bütün sözlər yoxdur; bəzilərini ehtiva edənlər göstərilir.",
        "relaxed_some_one": (
            "{n} məqalədə bütün sözləriniz var; aşağıdakılarda onların bir hissəsi var."
        ),
        "relaxed_some_few": (
            "{n} məqalədə bütün sözləriniz var; aşağıdakılarda onların bir hissəsi var."
        ),
        "relaxed_some_many": (
            "{n} məqalədə bütün sözləriniz var; aşağıdakılarda onların bir hissəsi var."
        ),
        "previous": "Əvvəlki",
        "next": "Növbəti",
        "page": "Səhifə {n}",
        "pages": "Səhifələr",
        "night_theme": "Gecə rejimi",
        "light_theme": "Gündüz rejimi",
        "interface": "İnterfeys dili",
        "searching": "Axtarılır…",
        "suggestions": "Təkliflər",
        "start": "Bir neçə söz yazın və Enter düyməsini basın.",
        "error": "Axtarış alınmadı: {message}",
        "error_uri_too_long": (
            "Bu ünvan axtarış üçün çox uzundur. Sorğunu qısaldın (ən çox 1000 simvol) və ya "
            "bəzi filtrləri silin."
        ),
        "error_request_header_fields_too_large": (
            "Brauzer bu sorğu ilə çox məlumat göndərdi (adətən çox sayda cookie). Bu saytın "
            "cookie-lərini silin və yenidən cəhd edin."
        ),
        "error_too_many_requests": (
            "Qısa müddətdə ünvanınızdan çox sayda axtarış edildi. Bir dəqiqə gözləyin və "
            "yenidən cəhd edin."
        ),
        "results_one": "{n} nəticə",
        "results_few": "{n} nəticə",
        "results_many": "{n} nəticə",
        "lang_en": "İngilis",
        "lang_ru": "Rus",
        "lang_az": "Azərbaycan",
        "article": "Məqalə",
    },
}

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "ru": [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ],
    "az": [
        "yanvar",
        "fevral",
        "mart",
        "aprel",
        "may",
        "iyun",
        "iyul",
        "avqust",
        "sentyabr",
        "oktyabr",
        "noyabr",
        "dekabr",
    ],
}


def choose_ui() -> str:
    """``?ui=`` when it names a supported language, else Accept-Language, else English."""
    asked = request.args.get("ui", "").strip().lower()
    if asked in UI_LANGUAGES:
        return asked
    return request.accept_languages.best_match(UI_LANGUAGES) or "en"


class Translator:
    """``t("key", n=3)`` in templates: the message in the interface language."""

    def __init__(self, ui: str) -> None:
        self.ui = ui
        self.messages = MESSAGES[ui]

    def __call__(self, key: str, **values: object) -> str:
        return self.messages.get(key, MESSAGES["en"].get(key, key)).format(**values)

    def results(self, n: int) -> str:
        return self(f"results_{_plural(self.ui, n)}", n=f"{n:,}".replace(",", "\u202f"))

    def relaxed(self, full_matches: int) -> str:
        """The notice above relaxed results: none has every word, or how many do."""
        if not full_matches:
            return self("relaxed")
        n = f"{full_matches:,}".replace(",", "\u202f")
        return self(f"relaxed_some_{_plural(self.ui, full_matches)}", n=n)

    def language(self, code: str) -> str:
        return self.messages.get(f"lang_{code}", code)

    def date(self, published: str) -> str:
        """``2024-10-15T11:20:00+04:00`` → ``15 October 2024`` / ``15 октября 2024``."""
        if not published:
            return ""
        try:
            day = datetime.fromisoformat(published).date()
        except ValueError:
            try:
                day = date.fromisoformat(published[:10])
            except ValueError:
                return published
        return f"{day.day} {MONTHS[self.ui][day.month - 1]} {day.year}"


def _plural(ui: str, n: int) -> str:
    if ui != "ru":
        return "one" if n == 1 else "many"
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"
