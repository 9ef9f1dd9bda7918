"""Words and frequent phrases of each index segment, counted once when the segment is written
and stored beside it (``<segment id>.vocab``), so that no request pays for counting them:
what ``/suggest`` completes and "did you mean" corrects towards.

Per language group, a segment's file holds two tables sorted by
:func:`~search_service.analysis.filters.search_key` (case and diacritics removed), each a
buffer of UTF-8 strings with their offsets and a count array, which a worker maps into memory
(``mmap``: pages shared between workers, nothing parsed, a few milliseconds):

- its **words**: the unstemmed words of titles and of the whole text (the spelling sub-fields)
  with their document counts; every title word, and the others found in at least
  :data:`MIN_WORD_DOCUMENTS` of the segment's articles;
- its **phrases**: runs of two or three words that recur in titles and leads ("prime
  minister", "Dağlıq Qarabağ", "центральный банк"), counted once per article.

Phrases are counted from the stored titles and leads, about 40 µs an article (they are
compressed together with the body), so a segment with more than :data:`SAMPLE` articles of a
language is counted on an evenly spread sample, whose document numbers are kept: deleting an
article later (Whoosh marks it deleted in its segment, whose files never change) takes its
phrases out again when the segment is read (:func:`phrase_counts`). Memory stays bounded while
counting (lossy counting over at most :data:`MAX_TRACKED` candidates) and after it (the
:data:`MAX_KEPT` most frequent phrases are kept).

A segment written without a file (by an older version, or a writer that skipped
:func:`write_missing`) is counted the same way when a process first reads it.
"""

from __future__ import annotations

import bisect
import json
import mmap
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.reading import IndexReader, SegmentReader

from ..analysis.filters import search_key
from ..analysis.stopwords import stop_words
from .schema import TITLE_PREFIX, group_for, language_groups, text_field

EXTENSION = ".vocab"
_MAGIC = b"search-service vocabulary 1\n"
# Words found in fewer of a segment's articles are left out (mostly typos and rare names),
# unless they are in a title.
MIN_WORD_DOCUMENTS = 2
MIN_WORDS, MAX_WORDS = 2, 3
# A phrase must occur in this many counted articles (title or lead; once each).
MIN_DOCUMENTS = 3
# A segment with at most this many articles of a language (one made by a few updates) keeps
# every phrase of theirs, so that its counts add up with other segments' to reach
# MIN_DOCUMENTS; a larger segment keeps the phrases that reach it alone.
SMALL_SEGMENT = 1_000
# Articles of one language counted at most per segment; beyond, an evenly spread sample.
SAMPLE = 10_000
# Candidates counted at once; when exceeded, the rarest are dropped (lossy counting).
MAX_TRACKED = 200_000
# Phrases kept per language and segment after counting, the most frequent first.
MAX_KEPT = 50_000
# Words, and the text between them: a phrase never spans punctuation ("Baku, Ganja").
_TOKEN = re.compile(r"([^\W_]+)(\s*)", re.UNICODE)


class Strings:
    """Strings in one UTF-8 buffer, each followed by a newline, and their start offsets.

    ``strings[i]`` is the i-th string as bytes (UTF-8 orders as the code points do, so
    :mod:`bisect` finds a prefix in sorted strings without decoding them);
    :meth:`texts` decodes a range in one call."""

    def __init__(self, buffer: Any, offsets: np.ndarray, base: int = 0) -> None:
        self.buffer, self.offsets, self.base = buffer, offsets, base
        # Python ints from a memoryview: a third of the time of numpy's scalars per look-up.
        self._at = memoryview(offsets).cast("B").cast("Q")

    @classmethod
    def of(cls, texts: Iterable[str]) -> Strings:
        encoded = [text.encode("utf-8") + b"\n" for text in texts]
        offsets = np.zeros(len(encoded) + 1, dtype=np.uint64)
        np.cumsum([len(item) for item in encoded], out=offsets[1:])
        return cls(b"".join(encoded), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> bytes:
        at, base = self._at, self.base
        return self.buffer[base + at[i] : base + at[i + 1] - 1]

    def texts(self, start: int, end: int) -> list[str]:
        if end <= start:
            return []
        at, base = self._at, self.base
        raw = self.buffer[base + at[start] : base + at[end] - 1]
        return raw.decode("utf-8").split("\n")

    def text(self, i: int) -> str:
        return self[i].decode("utf-8")


@dataclass
class Table:
    """Strings sorted by their folded form (``keys``), with a count each."""

    keys: Strings
    words: Strings
    counts: np.ndarray

    @classmethod
    def of(cls, counts: dict[str, int]) -> Table:
        """Sorted as (folded form, most frequent first, the string)."""
        entries = sorted((search_key(word), -count, word) for word, count in counts.items())
        return cls(
            Strings.of(key for key, _, _ in entries),
            Strings.of(word for _, _, word in entries),
            np.array([-count for _, count, _ in entries], dtype=np.uint32),
        )

    def __len__(self) -> int:
        return len(self.counts)


@dataclass
class GroupCounts:
    """One language group's words and phrases in one segment. Phrase counts are those of the
    counted articles (``sample``, document numbers in the segment), each of which stands for
    ``step`` articles; phrases counted fewer than ``least`` times were left out."""

    words: Table
    phrases: Table
    step: float
    sample: np.ndarray
    least: int


def write_missing(ix: Any) -> int:
    """Count and store the words and phrases of each segment of ``ix`` that has no file yet
    (the writer calls this after each commit: a new or merged segment is counted once, by the
    writer, before any worker reads it). Returns the number of segments counted.

    The segments of a full build (one per writer process) are counted in parallel, in forked
    processes: counting is pure Python, and a build uses every core."""
    global _missing
    missing = [
        (segment, path)
        for segment in ix._segments()  # the latest generation's, without opening them all
        if (path := _path(ix.storage, segment)) is not None and not path.exists()
    ]
    processes = min(len(missing), os.cpu_count() or 1)
    if processes <= 1:
        for n in range(len(missing)):
            _count_and_write(ix.storage, ix.schema, *missing[n])
        return len(missing)
    _missing = (ix.storage, ix.schema, missing)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            list(pool.map(_count_missing, range(len(missing))))
    finally:
        _missing = None
    return len(missing)


# What the forked processes of write_missing count (inherited, not pickled).
_missing: tuple[Any, Any, list[tuple[Any, Path]]] | None = None


def _count_missing(n: int) -> None:
    assert _missing is not None
    storage, schema, missing = _missing
    _count_and_write(storage, schema, *missing[n])


def _count_and_write(storage: Any, schema: Any, segment: Any, path: Path) -> None:
    with SegmentReader(storage, schema, segment) as leaf:
        _write(path, count_segment(leaf))


def load(leaf: IndexReader) -> dict[str, GroupCounts] | None:
    """The stored counts of one segment (mapped, not read), or None if it has none."""
    path = _path(leaf.storage(), leaf.segment())
    if path is None:
        return None
    try:
        with path.open("rb") as handle:
            buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return _parse(buffer)
    except (OSError, ValueError, KeyError, TypeError):  # missing, empty, torn or foreign
        return None


def _parse(buffer: mmap.mmap) -> dict[str, GroupCounts]:
    if buffer[: len(_MAGIC)] != _MAGIC or buffer[-len(_MAGIC) :] != _MAGIC:
        raise ValueError("not a vocabulary file, or not all of one")
    start = len(_MAGIC) + 8
    size = int.from_bytes(buffer[len(_MAGIC) : start], "little")
    header = json.loads(buffer[start : start + size])

    def array(spec: list) -> np.ndarray:
        dtype, offset, count = spec
        return np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)

    def table(spec: dict) -> Table:
        keys, words = spec["keys"], spec["words"]
        return Table(
            Strings(buffer, array(keys["offsets"]), keys["base"]),
            Strings(buffer, array(words["offsets"]), words["base"]),
            array(spec["counts"]),
        )

    return {
        group: GroupCounts(
            table(spec["words"]),
            table(spec["phrases"]),
            spec["step"],
            array(spec["sample"]),
            spec["least"],
        )
        for group, spec in header["groups"].items()
    }


def count_segment(leaf: IndexReader) -> dict[str, GroupCounts]:
    """Every language group's words and phrases in one segment."""
    documents = _documents_by_group(leaf)
    return {
        group: count_group(leaf, group, documents.get(group, []))
        for group in language_groups(leaf.schema)
    }


def count_group(leaf: IndexReader, group: str, documents: list[int] | None = None) -> GroupCounts:
    """One language group's words and phrases in one segment (whose live articles of the
    group are ``documents``, when known)."""
    if documents is None:
        documents = _documents_by_group(leaf).get(group, [])
    if not documents:  # none left: its words and phrases are no one's
        return GroupCounts(Table.of({}), Table.of({}), 1.0, np.zeros(0, dtype=np.int64), 1)
    least = 1 if len(documents) <= SMALL_SEGMENT else MIN_DOCUMENTS
    phrases, step, sample = _count_phrases(leaf, group, documents, least)
    return GroupCounts(
        Table.of(segment_words(leaf, group)),
        Table.of(phrases),
        step,
        np.array(sample, dtype=np.int64),
        least,
    )


def segment_words(reader: IndexReader, group: str) -> dict[str, int]:
    """Word → document count of ``group``: every title word, and the other words found in at
    least :data:`MIN_WORD_DOCUMENTS` of the reader's articles."""
    schema = reader.schema
    counts: dict[str, int] = {}
    for name in (f"{TITLE_PREFIX}{group}", text_field(group)):
        title = name.startswith(TITLE_PREFIX)
        for raw, info in reader.iter_field(schema[name].spelling_fieldname(name)):
            word, found = raw.decode("utf-8"), info.doc_frequency()
            if (title or found >= MIN_WORD_DOCUMENTS) and not word.isdigit():
                counts[word] = max(counts.get(word, 0), found)
    return counts


class LivePhrases:
    """A segment's phrase counts without its deleted articles: each article deleted since the
    segment was counted, if it was counted, is read once and its phrases taken off."""

    def __init__(self, counts: GroupCounts) -> None:
        self.counts = counts
        self.raw = counts.phrases.counts.astype(np.int64)
        self.removed: set[int] = set()

    def update(self, leaf: IndexReader, group: str) -> None:
        """Take off the phrases of the counted articles deleted since the last update."""
        segment = leaf.segment()
        if not segment.has_deletions():
            return
        deleted = np.fromiter(segment.deleted_docs(), dtype=np.int64)
        gone = set(np.intersect1d(self.counts.sample, deleted).tolist()) - self.removed
        stop = stop_words(group)
        for docnum in sorted(gone):
            for key in _keys_of(leaf.stored_fields(docnum), stop):
                index = _find(self.counts.phrases, key)
                if index is not None:
                    self.raw[index] -= 1
        self.removed |= gone

    def scaled(self) -> np.ndarray:
        """Article counts scaled up from the sample; 0 for a phrase now counted fewer than
        ``least`` times."""
        scaled = np.rint(self.raw * self.counts.step).astype(np.int64)
        scaled[self.raw < self.counts.least] = 0
        return scaled


def count_phrases(reader: IndexReader, group: str) -> dict[str, int]:
    """Phrase → (estimated) number of the group's articles whose title or lead contains it,
    for phrases found in at least :data:`MIN_DOCUMENTS` counted articles."""
    documents = _documents_by_group(reader).get(group, [])
    phrases, step, _ = _count_phrases(reader, group, documents)
    return {form: round(count * step) for form, count in phrases.items()}


def _count_phrases(
    reader: IndexReader, group: str, documents: list[int], least: int = MIN_DOCUMENTS
) -> tuple[dict[str, int], float, list[int]]:
    """(phrase → number of counted articles with it, for those counted at least ``least``
    times; articles each counted one stands for; the counted articles) of ``documents``."""
    step = max(len(documents) / SAMPLE, 1.0)
    sample = [documents[int(i * step)] for i in range(int(len(documents) / step))]
    stop = stop_words(group)
    # key (lower-cased words) → [count, count it may have missed, spelling, its rank]
    tracked: dict[str, list] = {}
    floor = 0  # counts at or below this were dropped once the table was full
    for docnum in sample:
        fields = reader.stored_fields(docnum)
        seen: set[str] = set()
        # Spellings in the middle of a lead are preferred, then in the middle of a title
        # (English titles capitalise every word), then at the start of a sentence.
        for source, text in ((1, fields.get("title")), (0, fields.get("lead"))):
            for key, form, initial in _phrases(text or "", stop):
                rank = 2 if initial else source
                entry = tracked.get(key)
                if entry is None:
                    tracked[key] = [1, floor, form, rank]
                    seen.add(key)
                    continue
                if rank < entry[3]:
                    entry[2], entry[3] = form, rank
                if key not in seen:
                    seen.add(key)
                    entry[0] += 1
        while len(tracked) > MAX_TRACKED:
            floor += 1
            tracked = {k: e for k, e in tracked.items() if e[0] + e[1] > floor}
    frequent = [entry for entry in tracked.values() if entry[0] >= least]
    frequent.sort(key=lambda entry: -entry[0])
    return {form: count for count, _, form, _ in frequent[:MAX_KEPT]}, step, sample


def _keys_of(fields: dict[str, Any], stop: frozenset[str]) -> set[str]:
    """The phrase keys one article's title and lead count once each."""
    return {
        key
        for text in (fields.get("title"), fields.get("lead"))
        for key, _, _ in _phrases(text or "", stop)
    }


def _find(table: Table, key: str) -> int | None:
    """The index of the phrase whose lower-cased form is ``key``."""
    folded = search_key(key).encode("utf-8")
    index = bisect.bisect_left(table.keys, folded)
    while index < len(table) and table.keys[index] == folded:
        if table.words.text(index).lower() == key:
            return index
        index += 1
    return None


def _documents_by_group(reader: IndexReader) -> dict[str, list[int]]:
    """The live document numbers of the articles indexed into each group's fields, from the
    postings of their ``lang`` terms (reading the column per document costs seconds)."""
    schema = reader.schema
    found: dict[str, list[int]] = {}
    for raw in reader.lexicon("lang"):
        group = group_for(schema, raw.decode("utf-8"))
        found.setdefault(group, []).extend(reader.postings("lang", raw).all_ids())
    return {group: sorted(documents) for group, documents in found.items()}


def _phrases(text: str, stop: frozenset[str]) -> Iterator[tuple[str, str, bool]]:
    """(lower-cased key, spelling, initial) of every candidate phrase of ``text``.

    A phrase neither starts nor ends with a stop word, a number or a single letter ("of the",
    "in 2024" are no phrases; "state of emergency" is). ``initial`` says whether it opens a
    sentence (or follows other punctuation), where its first letter's case says nothing.
    """
    for run in _runs(text):
        for start in range(len(run)):
            if not _edge(run[start], stop):
                continue
            for end in range(start + MIN_WORDS, min(start + MAX_WORDS, len(run)) + 1):
                if _edge(run[end - 1], stop):
                    words = run[start:end]
                    yield " ".join(w.lower() for w in words), " ".join(words), start == 0


def _runs(text: str) -> Iterable[list[str]]:
    """The runs of words separated only by white space."""
    run: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() != position and run:
            yield run
            run = []
        word, gap = match.groups()
        run.append(word)
        position = match.end()
        if not gap:  # punctuation (or the end) follows
            yield run
            run = []
    if run:
        yield run


def _edge(word: str, stop: frozenset[str]) -> bool:
    """Whether a phrase may start or end with ``word``."""
    return len(word) > 1 and not word.isdigit() and word.lower() not in stop


# The file ---------------------------------------------------------------------------------


def _path(storage: Any, segment: Any) -> Path | None:
    """Where a segment's counts are kept: beside its other files, named like them, so that
    Whoosh deletes it with the segment and replication copies it with the segment."""
    folder = getattr(storage, "folder", None)
    if folder is None:  # a compound or in-memory segment: counted in memory when read
        return None
    return Path(folder) / segment.make_filename(EXTENSION)


def _write(path: Path, groups: dict[str, GroupCounts]) -> None:
    """The magic line, the header's length, a JSON header, each array 8-byte aligned, and the
    magic line again.
    Written under a temporary name (Whoosh ignores names starting with a dot) and renamed,
    so a reader finds the whole file or none. Not synced to disk: a new build's files are,
    with the build (``IndexStore.activate``), and a file an update lost to a crash is only
    counted again where it is missing or unreadable (:func:`load`)."""
    arrays: list[np.ndarray] = []
    header: dict[str, Any] = {"groups": {}}

    def place(array: np.ndarray) -> list:
        arrays.append(np.ascontiguousarray(array))
        return [array.dtype.str, len(arrays) - 1, len(array)]

    def strings(item: Strings) -> dict:
        return {"offsets": place(item.offsets), "base": place(np.frombuffer(item.buffer, "u1"))}

    def table(item: Table) -> dict:
        return {
            "keys": strings(item.keys),
            "words": strings(item.words),
            "counts": place(item.counts),
        }

    for group, counts in groups.items():
        header["groups"][group] = {
            "words": table(counts.words),
            "phrases": table(counts.phrases),
            "step": counts.step,
            "sample": place(counts.sample),
            "least": counts.least,
        }
    # Offsets depend on the header's length, which depends on the offsets: lay the arrays out
    # after a header padded to a fixed size.
    body_start = len(_MAGIC) + 8
    draft = json.dumps(header).encode()
    size = _aligned(len(draft) + 16 * len(arrays) + 64)
    position, where = body_start + size, []
    for array in arrays:
        where.append(position)
        position = _aligned(position + array.nbytes)

    def resolve(spec: Any) -> Any:
        if isinstance(spec, dict):
            return {
                key: (where[value[1]] if key == "base" else resolve(value))
                for key, value in spec.items()
            }
        if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str):
            return [spec[0], where[spec[1]], spec[2]]
        return spec

    encoded = json.dumps(resolve(header)).encode()
    assert len(encoded) <= size
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as out:
        out.write(_MAGIC + size.to_bytes(8, "little") + encoded.ljust(size))
        for array, at in zip(arrays, where, strict=True):
            out.write(b"\0" * (at - out.tell()))
            out.write(array.tobytes())
        out.write(_MAGIC)  # last, so that a file cut short is known
    os.replace(temporary, path)


def _aligned(position: int) -> int:
    return (position + 7) // 8 * 8
