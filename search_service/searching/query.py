"""Reader text → Whoosh query. Pure functions: no index, no Flask.

The syntax is what people type into a search box and nothing more: words, "quoted phrases"
and -excluded words. Everything else (stray quotes, brackets, colons, AND/OR, wildcards) is
plain text, so no input can be a syntax error or an expensive expansion. Each clause is
analysed once per language field set with that language's analyzer, and matched in the
language's weighted text field (title words weigh most) and, for Latin scripts, its folded field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from whoosh import query as wq
from whoosh.fields import Schema

from ..analysis import cyrillic_only, latin_script
from ..analysis.memo import query_terms
from ..analysis.stopwords import stop_words
from ..indexing.schema import FOLD_PREFIX, text_field
from .synonyms import EMPTY, SYNONYM_BOOST, Synonyms

# Weight of a match in the diacritic-folded field: it adds to an exact match, so the exact
# form ranks higher, and alone it still finds "Qarabağ" for "Qarabag".
FOLD_BOOST = 0.5
QUOTES = '"“”„«»'

_CLAUSE = re.compile(
    rf"(?P<neg>(?<![^\s{QUOTES}])-)?"  # a minus at the start of a clause excludes it
    rf"(?:[{QUOTES}](?P<phrase>[^{QUOTES}]*)[{QUOTES}]|(?P<word>[^\s{QUOTES}]+))"
)
# Characters that separate words even without a space ("title:flood", "flood^2", "a/b"), as
# opposed to those that join parts of one word ("e-mail", "U.S.", "don't"), which stay in and
# make the word a phrase of its parts.
_SEPARATORS = re.compile(r"[:;,()\[\]{}<>^~*?!+=&|\\/@#$%]+")
# An English possessive: "Britain's" is about Britain; its "s" would be a word of its own.
_POSSESSIVE = re.compile(r"(?<=\w)['’ʼ][sS]$")
# The words inside a clause ("Nagorno-Karabakh" → Nagorno, Karabakh).
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Clause:
    """One unit of the reader's query: a word or a phrase, possibly excluded."""

    text: str
    phrase: bool = False
    excluded: bool = False


def parse(text: str) -> list[Clause]:
    """Split reader text into clauses; never fails.

    A quote without a partner is ignored. A query made only of excluded words is taken
    literally (the reader almost certainly typed a hyphen, not an operator).
    """
    clauses = []
    for match in _CLAUSE.finditer(text):
        excluded = bool(match["neg"])
        if match["phrase"] is not None:
            if match["phrase"].strip():
                clauses.append(Clause(match["phrase"].strip(), phrase=True, excluded=excluded))
            continue
        for word in _SEPARATORS.split(match["word"]):
            word = _POSSESSIVE.sub("", word)
            if word:
                clauses.append(Clause(word, excluded=excluded))
    if clauses and all(c.excluded for c in clauses):
        clauses = [Clause("-" + c.text, c.phrase) for c in clauses]
    return clauses


def most_selective(
    clauses: Sequence[Clause], limit: int, frequency: Callable[[Clause], int]
) -> list[Clause]:
    """At most ``limit`` of ``clauses``, in the reader's order.

    A pasted paragraph says what it is about in its rarest words, not its first ones, so
    beyond the limit the clauses found in the fewest articles (by ``frequency``) are kept, and
    the most common (function words, the topic words every article shares) and those in no
    article at all (they cannot rank anything) are dropped first.
    """
    if len(clauses) <= limit:
        return list(clauses)
    counts = [frequency(clause) for clause in clauses]
    order = sorted(range(len(clauses)), key=lambda i: (counts[i] == 0, counts[i], i))
    return [clauses[i] for i in sorted(order[:limit])]


def build(
    clauses: Sequence[Clause],
    schema: Schema,
    groups: Sequence[str],
    *,
    match_all: bool = True,
    synonyms: Synonyms = EMPTY,
    parts: dict[Clause, list[wq.Query]] | None = None,
) -> wq.Query:
    """The Whoosh query for ``clauses`` over the field sets ``groups``.

    Each clause is analysed once per field set with that language's analyzer, so results in
    every language are scored on one scale; a query in Cyrillic only skips the field sets of
    Latin-script languages.

    ``match_all`` requires every positive clause (the default); otherwise any one will do,
    which is the relaxed fallback when the strict query finds nothing. A clause (or run of
    words) that is an entry of ``synonyms`` also matches the other entries of its group.
    ``parts``, when given, receives each positive clause's query in every field set, as
    written (a joined word or a synonym entry of several words without its parts apart), to
    learn which clauses a match has.
    """
    typed = set(clauses)
    clauses, alternatives = with_synonyms(clauses, synonyms)
    # Without match_all, a unit of several words (a joined word, a run of words that is a
    # synonym entry) also matches any of its parts, each with its own synonyms: an article
    # about Karabakh is better than nothing for "Nagorno-Karabakh". Quoted phrases stay exact.
    split = {
        c: _parts(c, synonyms)
        for c in clauses
        if not match_all and not c.excluded and (c not in typed or not c.phrase)
    }
    split = {c: parts for c, parts in split.items() if len(parts) > 1}
    per_group = []
    positive = [c.text for c in clauses if not c.excluded]
    positive += [text for others in alternatives.values() for text in others]
    positive += [text for parts in split.values() for _, others in parts for text in others]
    cyrillic = bool(positive) and all(cyrillic_only(text) for text in positive)
    for group in groups:
        if cyrillic and latin_script(group):
            continue  # a Cyrillic query cannot match English, Azerbaijani or Turkish text
        loose = _loose_stop_words(clauses, group)
        required, excluded = [], []
        for clause in clauses:
            terms = list(query_terms(schema, text_field(group), clause.text))
            if not terms or clause in loose:
                continue  # punctuation only, or a stop word: nothing to match
            target = excluded if clause.excluded else required
            folded = _folded_terms(schema, group, clause)
            query = _clause_query(group, terms, folded)
            if clause in alternatives:
                query = _with_alternatives(query, group, schema, alternatives[clause])
            if parts is not None and not clause.excluded:
                parts.setdefault(clause, []).append(query)  # as written, not its parts apart
            if clause in split:
                # the parts with their synonyms; a part must not count twice
                query = wq.Or([query, *_part_queries(split[clause], group, schema)])
            elif len(terms) > 1 and not clause.phrase and not clause.excluded:
                query = _or_its_parts(query, group, terms, folded, match_all)
            target.append(query)
        if not required:
            continue
        combined = wq.And(required) if match_all else wq.Or(required)
        if excluded:
            combined = wq.AndNot(combined, wq.Or(excluded))
        per_group.append(combined)
    return wq.Or(per_group) if per_group else wq.NullQuery


def with_synonyms(
    clauses: Sequence[Clause], synonyms: Synonyms
) -> tuple[list[Clause], dict[Clause, tuple[str, ...]]]:
    """Clauses with runs of words that form a multi-word entry joined into one phrase, and
    the alternatives of every clause that is an entry."""
    if not synonyms.alternatives:
        return list(clauses), {}
    joined: list[Clause] = []
    alternatives: dict[Clause, tuple[str, ...]] = {}
    i = 0
    while i < len(clauses):
        clause = clauses[i]
        if clause.phrase or clause.excluded:
            found = synonyms.lookup(clause.text)
            if found and not clause.excluded:
                alternatives[clause] = found
            joined.append(clause)
            i += 1
            continue
        for size in range(min(synonyms.longest, len(clauses) - i), 0, -1):
            run = clauses[i : i + size]
            if any(c.phrase or c.excluded for c in run):
                continue
            text = " ".join(c.text for c in run)
            found = synonyms.lookup(text)
            if found:
                unit = Clause(text, phrase=size > 1)
                alternatives[unit] = found
                joined.append(unit)
                i += size
                break
        else:
            joined.append(clause)
            i += 1
    return joined, alternatives


def _parts(clause: Clause, synonyms: Synonyms) -> list[tuple[str, tuple[str, ...]]]:
    """The words of a unit of several words, each with its synonyms."""
    return [(word, synonyms.lookup(word)) for word in _WORD.findall(clause.text)]


def _part_queries(
    parts: list[tuple[str, tuple[str, ...]]], group: str, schema: Schema
) -> list[wq.Query]:
    """One query a part (with its synonyms), leaving out the group's stop words."""
    stops = stop_words(group)
    queries = []
    for word, others in parts:
        terms = list(query_terms(schema, text_field(group), word))
        if len(terms) != 1 or word.casefold() in stops:
            continue
        query = _clause_query(group, terms, _folded_terms(schema, group, Clause(word)))
        queries.append(_with_alternatives(query, group, schema, others) if others else query)
    return queries


def _with_alternatives(
    literal: wq.Query, group: str, schema: Schema, others: Sequence[str]
) -> wq.Query:
    """The literal clause or any of its synonyms, each synonym scoring a little lower."""
    options = [literal]
    for text in others:
        terms = list(query_terms(schema, text_field(group), text))
        if terms:
            folded = _folded_terms(schema, group, Clause(text))
            options.append(_clause_query(group, terms, folded).with_boost(SYNONYM_BOOST))
    return wq.Or(options) if len(options) > 1 else literal


def _loose_stop_words(clauses: Sequence[Clause], group: str) -> set[Clause]:
    """The positive word clauses made only of stop words of ``group``'s language (a joined
    word too: "из-за", "don't"), unless the query is nothing but stop words ("to be or not to
    be" still searches every word)."""
    loose = {
        c for c in clauses if not c.phrase and not c.excluded and _stop_words_only(c.text, group)
    }
    if all(c in loose for c in clauses if not c.excluded):
        return set()
    return loose


@lru_cache(maxsize=10_000)
def _stop_words_only(text: str, group: str) -> bool:
    """Whether every word of ``text`` is a stop word of ``group``'s language; remembered, as
    a query asks it of each of its words once per field set, and searches repeat words."""
    stops = stop_words(group)
    return all(word in stops for word in _WORD.findall(text.casefold()))


def _folded_terms(schema: Schema, group: str, clause: Clause) -> list[str]:
    field = f"{FOLD_PREFIX}{group}"
    if field not in schema:
        return []
    return list(query_terms(schema, field, clause.text))


def _or_its_parts(
    joined: wq.Query, group: str, terms: list[str], folded: Sequence[str], match_all: bool
) -> wq.Query:
    """A joined word ("андроид-раскладушка", "DIY-батарейки") as written, or its parts anywhere
    in the article (all of them when every word must match, else any): writers join and split
    such compounds freely. An article with the parts in order matches both ways, so it still
    ranks first. Quoted phrases stay exact."""
    if len(folded) != len(terms):
        folded = [""] * len(terms)
    parts = [
        _clause_query(group, [term], [fold] if fold else ())
        for term, fold in zip(terms, folded, strict=True)
    ]
    return wq.Or([joined, wq.And(parts) if match_all else wq.Or(parts)])


def _clause_query(group: str, terms: list[str], folded: Sequence[str] = ()) -> wq.Query:
    """One clause in the group's text field: a term, or a phrase when it analyses to several
    tokens (a quoted phrase, or a word such as "e-mail" or "U.S."); a single word also matches
    its folded form in the group's folded field (which has no positions, so a phrase is
    matched exactly or not at all)."""
    field = text_field(group)
    if len(terms) > 1:
        return wq.Phrase(field, terms)
    exact = wq.Term(field, terms[0])
    if len(folded) != 1:
        return exact
    return wq.Or([exact, wq.Term(f"{FOLD_PREFIX}{group}", folded[0], boost=FOLD_BOOST)])


def word_count(clauses: Sequence[Clause]) -> int:
    """Positive words of a query, counting each part of a joined word and a quoted phrase as
    one: whether some of them can match without the others."""
    return sum(
        1 if clause.phrase else max(1, len(_WORD.findall(clause.text)))
        for clause in clauses
        if not clause.excluded
    )


def positive_terms(clauses: Sequence[Clause], schema: Schema, field: str) -> set[str]:
    """The terms of ``field`` (a group's text or folded field) that snippets should highlight."""
    return {term for c in clauses if not c.excluded for term in query_terms(schema, field, c.text)}
