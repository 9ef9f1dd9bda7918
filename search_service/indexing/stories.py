"""What makes two articles one row of results: the keys the index keeps for it.

``copy_key``: the same normalised title and body (the same wire story under two ids, a story
republished). ``story_key``: the article's story (the ``story`` field, shared by its language
versions), or, for an article without one, its ``copy_key``, so copies of a story-less article
also share a row. Both are 64-bit hashes kept as columns (:class:`.fields.KeyColumn`); a
search groups its matches by them with numpy.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NOT_WORD = re.compile(r"[\W_]+")


def copy_key(title: str, body: str) -> int:
    """Equal for texts that differ only in case, spacing, punctuation or Unicode form."""
    words = (_NOT_WORD.sub(" ", unicodedata.normalize("NFKC", part).casefold()).split()
             for part in (title, body))  # fmt: skip
    return _key("copy", "\x00".join(" ".join(part) for part in words))


def story_key(story: str, copy: int) -> int:
    return _key("story", story) if story else copy


def _key(kind: str, text: str) -> int:
    digest = hashlib.blake2b(f"{kind}:{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest) >> 1  # 63 bits: never the column's missing-value maximum
