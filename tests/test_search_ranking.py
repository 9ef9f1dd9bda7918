"""What /search finds and in which order: field weights, phrases, exclusions, the relaxed
fallback, query text that looks like syntax, and each language's own analysis.

Every test runs the real app over a real index built on disk from the articles below.
"""

from __future__ import annotations

import pytest

from search_service.indexing.schema import FIELD_BOOSTS, text_value
from tests.support.corpus import result_ids as ids
from tests.support.corpus import shared_client


def article(id: str, title: str, lead: str, body: str, lang: str = "en") -> dict[str, str]:
    return {"id": id, "lang": lang, "title": title, "lead": lead, "body": body}


# Ranking -----------------------------------------------------------------------------------

# Every title has 4 words, every lead 8 and every body 12, and each test word is in one field
# of one article, so BM25's length and rarity terms are equal and only the field weights can
# order the matches. "in-body" comes first in the index, so it would win any tie.
RANKING_ARTICLES = [
    article(
        "in-body",
        "Village weekend fair opens",
        "Families came to the square for music tonight",
        "Stalls sold bread and cheese while children played near the old orchard",
    ),
    article(
        "in-title",
        "Orchard harvest begins early",
        "Pickers started work on Monday across the valley",
        "Farmers said the dry spring had been kind and crops looked heavy",
    ),
    article(
        "in-lead",
        "Market prices report today",
        "Apples from the orchard sold fast this morning",
        "Traders said demand was strong and prices should hold until late autumn",
    ),
    article(
        "twice-in-body",
        "Farm season review published",
        "Growers compared this season with the previous one",
        "Last year the harvest was small but this harvest looks far better",
    ),
    article(
        "unrelated",
        "Bridge repairs finished quickly",
        "Traffic returned to normal after three long weeks",
        "Engineers replaced the railings and resurfaced the road across the narrow river",
    ),
]


@pytest.fixture(scope="module")
def ranking_client(tmp_path_factory):
    return shared_client(tmp_path_factory, RANKING_ARTICLES)


def test_title_match_outranks_lead_match_which_outranks_body_match(ranking_client):
    order = ids(ranking_client.search("orchard"))

    assert order.index("in-title") < order.index("in-lead") < order.index("in-body")
    assert "unrelated" not in order


def test_title_match_outranks_a_body_that_repeats_the_word(ranking_client):
    assert ids(ranking_client.search("harvest")) == ["in-title", "twice-in-body"]


def test_scores_decrease_down_the_results(ranking_client):
    scores = [hit["score"] for hit in ranking_client.search("orchard")["results"]]

    assert len(scores) == 3
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[-1]


def test_a_word_in_a_short_text_outranks_the_same_word_once_in_a_long_one(search_client):
    # BM25's length discount (scoring.B): one mention in 5 words says more than one in 45.
    filler = "the council met again on monday and agreed the plan for next year "
    client = search_client(
        [
            article("long", "Council news today", "", filler * 3 + "the ferry reached port"),
            article("short", "Council news today", "", "The ferry reached port today"),
        ]
    )
    assert ids(client.search("ferry")) == ["short", "long"]


def test_russian_text_is_discounted_for_length_less_than_english(search_client):
    # scoring.LANGUAGE_B: B is 0.5 for Russian text, 0.75 for the rest. The same short and long
    # article in each language (no stop words, so equal lengths), one mention of the word
    # each: the long one keeps more of the short one's score in Russian.
    texts = {
        "en": ("News", "council members approved budget plans ", "ferry"),
        "ru": ("Новости", "депутаты совета одобрили бюджетные планы ", "паром"),
    }

    def kept(lang: str) -> float:
        title, filler, word = texts[lang]
        client = search_client(
            [
                article("short", title, "", word, lang),
                article("long", title, "", filler * 6 + word, lang),
            ]
        )
        short, long = (hit["score"] for hit in client.search(word)["results"])
        return long / short

    assert kept("ru") > kept("en") * 1.1


OPENING = "The ferry reached port on time."
LATER = "Crowds waited on the quay all day."
MORE = "\n\n".join(
    [
        "The council met again on Monday and agreed the plan for the next year.",
        "Shops along the harbour stayed open late and the cafes were full.",
        "Officials said the new timetable would start in the spring.",
    ]
)


def test_a_short_opening_paragraph_weighs_as_the_lead_when_there_is_none(search_client):
    # Same words, same length; only where "ferry" stands differs. "later" is indexed first,
    # so it would win a tie.
    client = search_client(
        [
            article("later", "Harbour news", "", f"{LATER}\n\n{MORE}\n\n{OPENING}"),
            article("opening", "Harbour news", "", f"{OPENING}\n\n{MORE}\n\n{LATER}"),
        ]
    )
    assert ids(client.search("ferry")) == ["opening", "later"]


def test_an_article_with_a_lead_keeps_its_first_paragraph_as_body():
    body = f"{OPENING}\n\n{MORE}"
    assert text_value("Harbour news", "A lead", body).parts == (
        ("Harbour news", FIELD_BOOSTS["title"]),
        ("A lead", FIELD_BOOSTS["lead"]),
        (body, FIELD_BOOSTS["body"]),
    )


def test_without_a_lead_a_short_first_paragraph_is_weighed_as_the_lead():
    assert text_value("", "", f"{OPENING}\n \n{MORE}").parts == (
        (OPENING, FIELD_BOOSTS["lead"]),
        (MORE, FIELD_BOOSTS["body"]),
    )


@pytest.mark.parametrize(
    "body",
    [
        f"{MORE.replace(chr(10), ' ')}\n\n{OPENING}",  # the first paragraph is most of the text
        OPENING,  # one paragraph
        f"{OPENING}\n{MORE.replace(chr(10), ' ')}",  # a line break is not a paragraph break
    ],
)
def test_a_first_paragraph_that_is_no_lede_stays_body(body):
    assert text_value("", "", body).parts == ((body, FIELD_BOOSTS["body"]),)


def test_articles_with_every_word_rank_before_those_with_some(ranking_client):
    body = ranking_client.search("orchard cheese")

    assert ids(body)[0] == "in-body"  # the only one with both words, though only in its body
    assert set(ids(body)[1:]) == {"in-title", "in-lead"}
    assert body["relaxed"] is True


# Phrases and exclusions ----------------------------------------------------------------------

BANK_ARTICLES = [
    article(
        "central-bank",
        "Rates decision",
        "The central bank raised its key rate.",
        "Economists expected the move after inflation rose.",
    ),
    article(
        "bank-square",
        "Square reopens",
        "The bank in the central square reopened.",
        "Customers queued outside the branch from early morning.",
    ),
    article(
        "river-bank",
        "Flood warning",
        "The river burst its bank overnight.",
        "Residents of low streets were asked to move their cars.",
    ),
    article(
        "ru-bank",
        "Решение по ставке",
        "Центральный банк повысил ключевую ставку.",
        "Аналитики ожидали этого шага после роста инфляции.",
        lang="ru",
    ),
]


@pytest.fixture(scope="module")
def bank_client(tmp_path_factory):
    return shared_client(tmp_path_factory, BANK_ARTICLES)


def test_quoted_phrase_matches_only_the_words_in_that_order(bank_client):
    assert sorted(ids(bank_client.search("central bank"))[:2]) == ["bank-square", "central-bank"]
    assert ids(bank_client.search('"central bank"')) == ["central-bank"]


def test_a_phrase_never_spans_the_end_of_the_title_and_the_start_of_the_lead(search_client):
    client = search_client(
        [
            article("split", "Ferry timetable for the island", "Harbour crews begin repairs", "."),
            article("whole", "Notes", "The island harbour reopened on Friday", "."),
        ]
    )

    assert ids(client.search('"island harbour"')) == ["whole"]


def test_phrase_in_guillemets_uses_russian_stemming(bank_client):
    assert ids(bank_client.search("«центрального банка»")) == ["ru-bank"]
    assert bank_client.search("«банка центрального»")["total"] == 0


def test_minus_excludes_a_word(bank_client):
    assert sorted(ids(bank_client.search("bank -central"))) == ["river-bank"]
    assert sorted(ids(bank_client.search("bank -river"))) == ["bank-square", "central-bank"]


def test_minus_excludes_a_phrase(bank_client):
    body = bank_client.search('bank -"central square"')

    assert sorted(ids(body)) == ["central-bank", "river-bank"]


def test_excluded_words_are_not_marked_in_snippets(bank_client):
    [hit] = bank_client.search("bank -central")["results"]

    assert "<mark>bank</mark>" in hit["snippet"]
    assert "<mark>central" not in hit["snippet"]


def test_hyphenated_word_inside_a_query_is_not_an_exclusion(bank_client):
    # "key-rate" is a word with a hyphen, not "key" minus "rate".
    assert ids(bank_client.search("key-rate")) == ["central-bank"]


# Relaxed fallback --------------------------------------------------------------------------


def test_query_with_an_unknown_word_falls_back_to_any_word_and_says_relaxed(bank_client):
    body = bank_client.search("flood zeppelin")

    assert body["relaxed"] is True
    assert ids(body) == ["river-bank"]
    assert body["total"] == 1


def test_relaxed_fallback_still_honours_exclusions(bank_client):
    body = bank_client.search("bank zeppelin -river")

    assert body["relaxed"] is True
    assert sorted(ids(body)) == ["bank-square", "central-bank"]


def test_query_whose_words_all_match_in_every_result_is_not_relaxed(bank_client):
    body = bank_client.search("central bank")
    assert body["relaxed"] is True  # river-bank has "bank" only, and follows
    assert ids(body)[-1] == "river-bank"

    body = bank_client.search("central bank -river")
    assert body["relaxed"] is False


def test_single_unknown_word_finds_nothing_and_is_not_relaxed(bank_client):
    body = bank_client.search("zeppelin")

    assert (body["total"], body["results"], body["relaxed"]) == (0, [], False)


# Query text that looks like syntax ---------------------------------------------------------

ODD_QUERIES = [
    '"',
    '""',
    '"bank',
    'bank"',
    "(",
    ")",
    "(bank",
    "title:foo",
    "title:bank",
    "lang:en",
    ":",
    "AND",
    "OR",
    "NOT",
    "bank AND",
    "bank OR NOT",
    "*",
    "?",
    "foo*",
    "ba*k",
    "bank~",
    "bank~2",
    "bank^",
    "bank^3",
    "\\",
    "bank\\",
    "[a TO z]",
    "{a TO z}",
    "[",
    "]",
    "{",
    "}",
    "-",
    "--",
    "- -",
    "-bank",
    "+bank",
    "!bank",
    "&&",
    "||",
    "/",
    "/bank/",
    "'",
    "<",
    ">",
    "<script>",
    "%",
    "%%",
    "#",
    "@",
    "😀",
    "🏦 bank",
    "\x00",
    "\x01bank\x1f",
    "\x7f",
    "\u200b",
    "\u202ebank",
    "« »",
    "„bank“",
    "bank -",
    "bank -(",
    "NEAR/3",
]


@pytest.mark.parametrize(
    "q", ODD_QUERIES, ids=[f"{i:02d}-{q!r}" for i, q in enumerate(ODD_QUERIES)]
)
def test_query_syntax_characters_never_cause_an_error(bank_client, q):
    body = bank_client.search(q)

    assert isinstance(body["total"], int)
    assert isinstance(body["results"], list)
    assert body["total"] >= len(body["results"])


def test_invalid_utf8_in_the_query_string_is_a_400_not_a_search(bank_client):
    response = bank_client.http.get("/search?q=%FF%FEbank")

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_parameter"


def test_lone_asterisk_does_not_match_everything(bank_client):
    assert bank_client.search("*")["total"] == 0


def test_trailing_asterisk_is_not_a_wildcard(bank_client):
    assert bank_client.search("flo*")["total"] == 0
    assert ids(bank_client.search("flood*")) == ["river-bank"]


# Syntax characters separate words ("title:flood" is "title" and "flood"; the any-word
# fallback then finds flood), while hyphens keep a word whole ("covid-19" is a phrase).
@pytest.mark.parametrize(
    "q",
    [
        "(flood", "flood)", "flood~", "flood^", "'flood'", '"flood', "flood\\", "🌊 flood",
        "[flood]", "title:flood", "flood^2",
    ],
)  # fmt: skip
def test_words_next_to_syntax_characters_are_still_found(bank_client, q):
    body = bank_client.search(q)

    assert "river-bank" in ids(body)


def test_control_characters_and_emoji_are_ignored_without_relaxing(bank_client):
    body = bank_client.search("\x07flood\x1b 🌊")

    assert ids(body) == ["river-bank"]
    assert body["relaxed"] is False


def test_only_excluded_words_are_taken_literally(bank_client):
    # "-flood" alone is almost certainly a hyphen typed by a reader, not "everything but".
    assert ids(bank_client.search("-flood")) == ["river-bank"]


# Languages ---------------------------------------------------------------------------------

LANGUAGE_ARTICLES = [
    article(
        "en-vote",
        "Election results announced",
        "Voters waited late into the night.",
        "Officials counted ballots in every district of the city.",
    ),
    article(
        "ru-vote",
        "Итоги выборов объявлены",
        "Избиратели ждали до поздней ночи.",
        "Чиновники подсчитали бюллетени во всех районах города.",
        lang="ru",
    ),
    article(
        "ru-tree",
        "Ёлка на главной площади",
        "Жители украсили ёлку к празднику.",
        "Рядом с елкой поставили сцену для концерта.",
        lang="ru",
    ),
    article(
        "ru-without-yo",
        "Зеленая ель в парке",
        "Садовники посадили ее весной.",
        "Теперь она растет у входа в парк.",
        lang="ru",
    ),
    article(
        "az-baku",
        "Bakı küçələrində bayram",
        "İçərişəhərdə İşıq festivalı başladı.",
        "Sakinlər axşam İçərişəhər meydanına toplaşdılar.",
        lang="az",
    ),
]


@pytest.fixture(scope="module")
def language_client(tmp_path_factory):
    return shared_client(tmp_path_factory, LANGUAGE_ARTICLES)


def test_each_language_is_found_by_its_own_words_without_lang(language_client):
    assert ids(language_client.search("ballots")) == ["en-vote"]
    assert ids(language_client.search("бюллетени")) == ["ru-vote"]
    assert ids(language_client.search("festivalı")) == ["az-baku"]


def test_one_query_can_find_articles_in_several_languages(language_client):
    body = language_client.search("election выборы")

    assert body["relaxed"] is True
    assert sorted(ids(body)) == ["en-vote", "ru-vote"]


@pytest.mark.parametrize("q", ["elections", "election", "ELECTED"])
def test_english_query_is_stemmed(language_client, q):
    assert ids(language_client.search(q)) == ["en-vote"]


@pytest.mark.parametrize("q", ["выборы", "выборах", "выбор", "ВЫБОРАМИ"])
def test_russian_inflected_query_finds_other_inflections(language_client, q):
    assert ids(language_client.search(q)) == ["ru-vote"]


def test_russian_highlight_marks_the_inflection_in_the_text(language_client):
    [hit] = language_client.search("выборах")["results"]

    assert hit["title_html"] == "Итоги <mark>выборов</mark> объявлены"


@pytest.mark.parametrize("q", ["ёлка", "елка", "ЁЛКИ", "елкой"])
def test_russian_yo_and_ye_match_each_other(language_client, q):
    assert ids(language_client.search(q)) == ["ru-tree"]


def test_russian_yo_in_the_query_finds_text_written_with_ye(language_client):
    assert ids(language_client.search("зелёная")) == ["ru-without-yo"]


@pytest.mark.parametrize("q", ["BAKI", "Bakı", "bakı", "BAKı"])
def test_azerbaijani_dotless_i_lower_cases_the_turkic_way(language_client, q):
    assert ids(language_client.search(q)) == ["az-baku"]


@pytest.mark.parametrize("q", ["İÇƏRİŞƏHƏR", "içərişəhər", "İçərişəhər"])
def test_azerbaijani_dotted_capital_i_matches_lower_case_i(language_client, q):
    assert ids(language_client.search(q)) == ["az-baku"]


def test_azerbaijani_capital_dotted_i_folds_inside_a_word(language_client):
    assert ids(language_client.search("İŞIQ")) == ["az-baku"]
    assert ids(language_client.search("işıq")) == ["az-baku"]


def test_azerbaijani_highlight_marks_the_word_as_written(language_client):
    [hit] = language_client.search("BAKI")["results"]

    assert hit["title_html"] == "<mark>Bakı</mark> küçələrində bayram"


def test_lang_limits_the_search_to_that_language(language_client):
    assert language_client.search("BAKI", lang="en")["total"] == 0
    assert ids(language_client.search("BAKI", lang="az")) == ["az-baku"]
    assert language_client.search("выборы", lang="en")["total"] == 0
    assert ids(language_client.search("выборы", lang="ru")) == ["ru-vote"]
