"""The read path: a reader's text becomes a query (query, synonyms), is matched and scored over
the postings (matching, scoring, columns) and answered as ranked results with snippets, facets
and spelling corrections (searcher, cache)."""
