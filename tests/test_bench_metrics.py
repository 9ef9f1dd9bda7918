"""The benchmark's metrics agree with trec_eval on examples worked out by hand."""

from __future__ import annotations

import math

import pytest

from bench.metrics import evaluate, mrr_at, ndcg_at, recall_at


def test_ndcg_of_a_perfect_ranking_is_one() -> None:
    assert ndcg_at(["a", "b", "c"], {"a": 2, "b": 1}) == pytest.approx(1.0)


def test_ndcg_graded_example_worked_by_hand() -> None:
    # ranks: x (0), a (grade 1), b (grade 2)
    # DCG = 1/log2(3) + 2/log2(4) = 0.63093 + 1.0 = 1.63093
    # IDCG = 2/log2(2) + 1/log2(3) = 2.0 + 0.63093 = 2.63093
    value = ndcg_at(["x", "a", "b"], {"a": 1, "b": 2})
    assert value == pytest.approx(1.63093 / 2.63093, abs=1e-5)


def test_ndcg_counts_relevant_documents_beyond_the_cut_in_the_ideal() -> None:
    # One relevant doc at rank 2 of 2 retrieved, another never retrieved.
    # DCG = 1/log2(3); IDCG = 1 + 1/log2(3)
    value = ndcg_at(["x", "a"], {"a": 1, "b": 1})
    assert value == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))


def test_ndcg_cuts_at_k() -> None:
    ranking = [f"x{i}" for i in range(10)] + ["a"]
    assert ndcg_at(ranking, {"a": 1}, 10) == 0.0
    assert ndcg_at(ranking, {"a": 1}, 11) == pytest.approx(1 / math.log2(12))


def test_ndcg_ignores_judged_non_relevant_and_duplicates() -> None:
    assert ndcg_at(["n", "n", "a"], {"n": 0, "a": 1}) == pytest.approx(1 / math.log2(3))


def test_mrr_is_reciprocal_rank_of_first_relevant_within_cut() -> None:
    assert mrr_at(["x", "y", "a", "b"], {"a": 1, "b": 1}) == pytest.approx(1 / 3)
    assert mrr_at(["x"] * 3 + [f"y{i}" for i in range(10)] + ["a"], {"a": 1}) == 0.0
    assert mrr_at(["a"], {"a": 0}) == 0.0


def test_recall_at_100() -> None:
    ranking = ["a"] + [f"x{i}" for i in range(99)] + ["b"]
    assert recall_at(ranking, {"a": 1, "b": 1, "c": 1}) == pytest.approx(1 / 3)


def test_evaluate_averages_over_judged_queries_and_counts_missing_runs_as_zero() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}}
    runs = {"q1": ["x", "a"]}  # q2 retrieved nothing, q3 has no relevant doc: skipped
    result = evaluate(runs, qrels)
    assert result["queries"] == 2
    assert result["mrr@10"] == pytest.approx(0.25)
    assert result["ndcg@10"] == pytest.approx((1 / math.log2(3)) / 2)
    assert result["recall@100"] == pytest.approx(0.5)
