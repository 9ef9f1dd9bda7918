"""\"More like this\": articles related to one article, same language first.

The article's key terms (Whoosh's Bo1 model over its own title, lead and body, analysed with
its language's analyzer) become a weighted OR query over that language's text field; other
languages fill the remaining places when their fields share terms (names, places, numbers).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from ..indexing.schema import TEXT_PARTS, group_for, language_groups, text_field
from ..searching.searcher import Hit

KEY_TERMS = 12


@dataclass
class RelatedResponse:
    id: str
    lang: str
    results: list[Hit] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def related(searcher: Searcher, article_id: str, limit: int = 5) -> RelatedResponse | None:
    """Articles like ``article_id`` (never itself), or None when no article has that id."""
    docnum = searcher.document_number(id=article_id)
    if docnum is None:
        return None
    stored = searcher.stored_fields(docnum)
    lang = stored.get("lang", "")
    schema = searcher.schema
    own = group_for(schema, lang)
    text = " ".join(stored.get(part) or "" for part in TEXT_PARTS)
    terms = searcher.key_terms_from_text(text_field(own), text, numterms=KEY_TERMS, normalize=True)
    if not terms:
        return RelatedResponse(article_id, lang)

    hits: list[Hit] = []
    seen = {docnum}
    for groups in ([own], [g for g in language_groups(schema) if g != own]):
        if len(hits) >= limit or not groups:
            break
        query = wq.Or(
            [
                wq.Term(text_field(group), term, boost=weight)
                for group in groups
                for term, weight in terms
            ]
        )
        mask = wq.Or([wq.Term("id", searcher.stored_fields(d)["id"]) for d in seen])
        results = searcher.search(query, limit=limit - len(hits), mask=mask)
        for hit in results:
            seen.add(hit.docnum)
            hits.append(Hit.of(hit.fields(), hit.score))
    return RelatedResponse(article_id, lang, hits)
