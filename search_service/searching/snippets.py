"""The highlighted title and passage of a result: query words marked, everything else escaped.

A word is marked when the text field's analysis of it is a query term, or the folded field's
is (``Baki`` marks ``Bakı``, next to ``yol`` marking ``yollar``). The passage is the stretch
with the most different query words; Whoosh's formatter escapes and marks it. Each distinct
word is analysed once per worker (:mod:`.analysis.memo`): running the analyzer chain over
every word of every result would take half of a search's time.
"""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

from whoosh import highlight
from whoosh.analysis import Token
from whoosh.fields import Schema

from ..analysis import COMBINING_MARKS, TOKEN_PATTERN, TURKIC_TOKEN_PATTERN
from ..analysis.memo import query_terms
from ..indexing.schema import FOLD_PREFIX, group_for, text_field
from . import query as reader_query

ELLIPSIS = "…"
_WHITESPACE = re.compile(r"\s+")
_RUNS = re.compile(r"[^\W_]+")  # letters and digits
_MARKS = re.compile(f"[{COMBINING_MARKS}]")


class MarkFormatter(highlight.Formatter):
    """Wraps matches in <mark> and HTML-escapes everything else, so article text can never
    inject markup; marks cut passages with an ellipsis."""

    between = f" {ELLIPSIS} "

    def _text(self, text: str) -> str:
        return html.escape(_WHITESPACE.sub(" ", text), quote=False)

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{self._text(highlight.get_text(text, token, replace))}</mark>"

    def format_fragment(self, fragment: Any, replace: bool = False) -> str:
        text = fragment.text
        inner = super().format_fragment(fragment, replace).strip()
        head, tail = text[: fragment.startchar], text[fragment.endchar :]
        before = ELLIPSIS if _has_words(head) else ""
        after = ELLIPSIS if _has_words(tail) else self._text(tail.rstrip())
        return f"{before}{inner}{after}"


def _has_words(text: str) -> bool:
    return any(char.isalnum() for char in text)


_FOLDED = "\x00"  # marks a folded field's term among a word's terms


class _Vocabulary:
    """The words highlighting has analysed in this worker, for one language's fields: each
    word's first term, and for each term the words that analyse to it (a folded field's
    terms marked with :data:`_FOLDED`). A search then finds its matching words with set
    operations, and analyses only words this worker has never seen."""

    LIMIT = 200_000  # words; then the language starts a new vocabulary

    def __init__(self) -> None:
        self.first: dict[str, str] = {}
        self.by_term: dict[str, set[str]] = {}
        self.version = 0  # a new number after each addition (numbers from one counter)


_VOCABULARIES: dict[tuple[str, ...], _Vocabulary] = {}
_VERSIONS = itertools.count(1)  # next() on it is atomic: threads never share a version


def _vocabulary(fields: tuple[str, ...]) -> _Vocabulary:
    found = _VOCABULARIES.get(fields)
    if found is None or len(found.first) >= _Vocabulary.LIMIT:
        found = _VOCABULARIES[fields] = _Vocabulary()
    return found


class _Terms:
    """One language's query terms, exact and folded, and how to find them in text."""

    def __init__(self, clauses: list[reader_query.Clause], schema: Schema, group: str) -> None:
        self.schema = schema
        self.fields = []
        for name in (text_field(group), f"{FOLD_PREFIX}{group}"):
            if name in schema:
                terms = frozenset(reader_query.positive_terms(clauses, schema, name))
                self.fields.append((name, schema[name].analyzer, terms))
        self.exact = self.fields[0][2]
        self.words = self.fields[0][1].items[0].expression  # the language's tokenizer
        # Tokenizers whose words are the longest runs of letters and digits, marks and
        # apostrophes aside; the first of them: exactly those runs in a text without marks.
        self.runs = self.words.pattern in (TOKEN_PATTERN, TURKIC_TOKEN_PATTERN)
        self.plain = self.words.pattern == TOKEN_PATTERN
        self.any = any(terms for _, _, terms in self.fields)
        # Every term a word may analyse to and match, folded ones marked.
        self.wanted = self.exact.union(
            *(frozenset(_FOLDED + t for t in terms) for _, _, terms in self.fields[1:])
        )
        self.vocabulary = _vocabulary(tuple(name for name, _, _ in self.fields))
        self._matching: set[str] = set()
        self._version = -1  # the vocabulary's version _matching was taken from

    def matches(self, text: str) -> list[Token]:
        """The words of ``text`` that match the query, as tokens for Whoosh's formatter.

        The matching words are found by set operations (see :class:`_Vocabulary`), and
        only they are looked for in the text, not every word walked."""
        if self.plain and not _MARKS.search(text):
            words, runs = set(_RUNS.findall(text)), True  # the tokenizer's words, found faster
        else:
            words = set(self.words.findall(text))
            runs = self.runs and "".join(words).isalnum()
        forms = self.vocabulary.first
        new = words.difference(forms)
        if new:
            self._analyse(new)
        matching = self.matching()
        found = words.intersection(matching)
        if not found:
            return []
        if not runs:  # only the tokenizer says where words start
            return [
                Token(text=forms[word], startchar=match.start(), endchar=match.end())
                for match in self.words.finditer(text)
                if (word := match.group()) in matching
            ]
        # Every word is a longest run of letters and digits: an occurrence of a matching
        # word counts where no letter or digit touches it.
        tokens = []
        for word in found:
            start = text.find(word)
            while start >= 0:
                end = start + len(word)
                if (not start or not text[start - 1].isalnum()) and (
                    end == len(text) or not text[end].isalnum()
                ):
                    tokens.append(Token(text=forms[word], startchar=start, endchar=end))
                start = text.find(word, end)
        if len(found) > 1:
            tokens.sort(key=lambda token: token.startchar)
        return tokens

    def match_at(self, text: str, position: int) -> bool:
        """Whether the word starting at ``position`` of ``text`` matches the query."""
        word = self.words.match(text, position)
        if not word:
            return False
        found = word.group()
        if found not in self.vocabulary.first:
            self._analyse({found})
        return found in self.matching()

    def matching(self) -> set[str]:
        """The words of the vocabulary that match the query, taken again when it has grown
        (by this search or, in another thread, another)."""
        vocabulary = self.vocabulary
        if self._version != vocabulary.version:
            self._version = vocabulary.version  # before reading: a later addition is noticed
            by_term = vocabulary.by_term
            self._matching = set().union(*(by_term.get(t, ()) for t in self.wanted))
        return self._matching

    def _analyse(self, words: set[str]) -> None:
        """Analyse words new to the worker into the vocabulary."""
        (field, _, _), *folded = self.fields
        first, by_term = self.vocabulary.first, self.vocabulary.by_term
        for word in words:
            forms = query_terms(self.schema, field, word)
            terms = set(forms)
            for name, _, _ in folded:
                terms.update(_FOLDED + term for term in query_terms(self.schema, name, word))
            for term in terms:
                by_term.setdefault(term, set()).add(word)
            first[word] = forms[0] if forms else word  # after by_term: known means complete
        self.vocabulary.version = next(_VERSIONS)


class Snippets:
    """Builds the highlighted parts of each hit, analysing the query once per language."""

    def __init__(self, clauses: list[reader_query.Clause], schema: Schema, chars: int) -> None:
        self.clauses, self.schema, self.chars = clauses, schema, chars
        self._terms: dict[str, _Terms] = {}
        self._patterns: dict[frozenset[str], re.Pattern[str]] = {}
        self.formatter = MarkFormatter()

    def title(self, fields: dict[str, Any]) -> str:
        """The title as HTML, query words marked."""
        title = fields.get("title", "")
        marked = self._mark(title, self._for(fields), whole=True)
        return marked or html.escape(title, quote=False)

    def passage(self, fields: dict[str, Any]) -> str:
        """A passage of about ``chars`` characters as HTML: from the body (else the lead)
        around the query words, or the start of the text when none is in it."""
        terms = self._for(fields)
        for part in ("body", "lead"):
            text, cut_head, cut_tail = self._window(fields.get(part, ""), terms)
            marked = self._mark(text, terms)
            if marked:
                if cut_head and not marked.startswith(ELLIPSIS):
                    marked = ELLIPSIS + marked
                if cut_tail and not marked.endswith(ELLIPSIS):
                    marked += ELLIPSIS
                return marked
        text = fields.get("lead") or fields.get("body") or ""
        if len(text) > self.chars:
            text = text[: self.chars].rsplit(" ", 1)[0] + ELLIPSIS
        return html.escape(text, quote=False)

    def _for(self, fields: dict[str, Any]) -> _Terms:
        group = group_for(self.schema, fields.get("lang", ""))
        if group not in self._terms:
            self._terms[group] = _Terms(self.clauses, self.schema, group)
        return self._terms[group]

    def _window(self, text: str, terms: _Terms) -> tuple[str, bool, bool]:
        """A bounded stretch of ``text`` around its first match, and whether it was cut at the
        start and at the end.

        Highlighting looks at every word it is given, and the passage is at most ``chars``
        long anyway. Candidates are the words that start with an analysed term (stems are
        prefixes of most word forms); the first whose analysis is a query term is the match
        ("parliamentary" starts with "parliament" but is another term). When no word matches,
        the window is around the first candidate, else the start of the text.
        """
        span = 2 * self.chars
        if len(text) <= span or not terms.exact:
            return text, False, False
        key = frozenset(terms.exact)
        pattern = self._patterns.get(key)
        if pattern is None:
            alternatives = "|".join(re.escape(t) for t in sorted(key, key=len, reverse=True))
            pattern = self._patterns[key] = re.compile(rf"(?<!\w)(?:{alternatives})", re.I)
        found = first = None
        for candidate in pattern.finditer(text):
            first = first or candidate
            if terms.match_at(text, candidate.start()):
                found = candidate
                break
        found = found or first
        start = max(0, found.start() - self.chars // 2) if found else 0
        end = min(len(text), start + span)
        if start:
            space = text.find(" ", start, start + 40)
            start = space + 1 if space >= 0 else start
        if end < len(text):
            space = text.rfind(" ", end - 40, end)
            end = space if space > start else end
        return text[start:end], start > 0, end < len(text)

    def _mark(self, text: str, terms: _Terms, whole: bool = False) -> str:
        """``text`` (whole, or its best passage) with the query's words marked; "" when it
        has none of them."""
        if not text or not terms.any:
            return ""
        matches = terms.matches(text)
        if not matches:
            return ""
        start, end = (0, len(text)) if whole else self._best_passage(text, matches)
        inside = [m for m in matches if m.startchar >= start and m.endchar <= end]
        return self.formatter.format_fragment(highlight.Fragment(text, inside, start, end))

    def _best_passage(self, text: str, matches: list[Token]) -> tuple[int, int]:
        """The stretch of at most ``chars`` characters with the most different query words
        (then the most matches, then the earliest), starting a little before its first match
        and cut at word boundaries."""
        best = None
        for i, first in enumerate(matches):
            start = max(0, first.startchar - self.chars // 3)
            end = min(len(text), start + self.chars)
            inside = [m for m in matches[i:] if m.endchar <= end]
            rank = (len({m.text for m in inside}), len(inside))
            if best is None or rank > best[0]:
                best = (rank, start, end, first.startchar)
        _, start, end, first_match = best
        if start and text[start - 1].isalnum():  # do not start inside a word
            space = text.find(" ", start, first_match)
            start = space + 1 if space >= 0 else start
        if end < len(text) and text[end].isalnum():  # nor end inside one
            space = text.rfind(" ", first_match, end)
            end = space if space > first_match else end
        return start, end
