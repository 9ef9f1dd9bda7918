"""Ranking metrics with trec_eval's definitions, for bench/relevance.py.

Each function takes the ranked document ids of one query and its judgements (``qrels``:
document id → grade, grade > 0 is relevant) and returns a score in [0, 1]. A query without
any relevant document is the caller's business: trec_eval skips such queries, and so does
:func:`evaluate`.

* nDCG@k (trec_eval ``ndcg_cut.k``): gain = grade, discount = log2(rank + 1); the ideal
  ranking sorts every judged relevant document by grade.
* MRR@k (trec_eval ``recip_rank`` cut at k): 1 / rank of the first relevant document in the
  top k, else 0.
* Recall@k (trec_eval ``recall.k``): relevant documents in the top k / all relevant ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    gains = sorted((grade for grade in qrels.values() if grade > 0), reverse=True)[:k]
    ideal = sum(grade / math.log2(rank + 2) for rank, grade in enumerate(gains))
    if ideal == 0:
        return 0.0
    actual = sum(
        qrels.get(doc, 0) / math.log2(rank + 2)
        for rank, doc in enumerate(_unique(ranking)[:k])
        if qrels.get(doc, 0) > 0
    )
    return actual / ideal


def mrr_at(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    for rank, doc in enumerate(_unique(ranking)[:k]):
        if qrels.get(doc, 0) > 0:
            return 1.0 / (rank + 1)
    return 0.0


def recall_at(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 100) -> float:
    relevant = {doc for doc, grade in qrels.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(_unique(ranking)[:k])) / len(relevant)


def evaluate(
    runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]
) -> dict[str, float]:
    """Mean nDCG@10, MRR@10 and Recall@100 over the queries that have a relevant document.

    A judged query missing from ``runs`` counts as an empty ranking (scores 0), as in
    trec_eval with ``-c``.
    """
    judged = [qid for qid, grades in qrels.items() if any(g > 0 for g in grades.values())]
    if not judged:
        return {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@100": 0.0, "queries": 0}
    totals = {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@100": 0.0}
    for qid in judged:
        ranking = runs.get(qid, ())
        totals["ndcg@10"] += ndcg_at(ranking, qrels[qid], 10)
        totals["mrr@10"] += mrr_at(ranking, qrels[qid], 10)
        totals["recall@100"] += recall_at(ranking, qrels[qid], 100)
    result = {name: value / len(judged) for name, value in totals.items()}
    result["queries"] = len(judged)
    return result


def _unique(ranking: Sequence[str]) -> list[str]:
    """trec_eval counts a document once, at its first rank."""
    return list(dict.fromkeys(ranking))
