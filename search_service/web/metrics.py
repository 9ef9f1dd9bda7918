"""``GET /metrics`` in the Prometheus text format.

Request and search metrics are counted where they happen. Under gunicorn each worker is a
process, so with ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py does it) prometheus-client
writes them to per-process files there and a scrape of any worker sums all of them. What the
index holds (documents per language, build age, queued updates) is read at scrape time.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from ..errors import IndexUnavailable
from ..indexing.journal import Journal
from ..indexing.stats import documents_by
from ..sources.watermarks import all_states
from . import State, state

blueprint = Blueprint("metrics", __name__)

REQUESTS = Counter(
    "search_http_requests", "HTTP requests answered", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "search_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RESULTS = Histogram(
    "search_results", "Total matches of a search", buckets=(0, 1, 5, 10, 50, 100, 1000, 10000)
)
ZERO_RESULTS = Counter("search_zero_result_searches", "Searches that found nothing")
PARTIAL = Counter("search_partial_searches", "Searches cut short by SEARCH_TIME_LIMIT")
REJECTED = Counter("search_rejected_records", "Input records rejected by validation", ["via"])


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    # The labelled children, looked up once per kind of request (labels() costs more than
    # counting).
    key = (endpoint, method, status)
    children = _REQUEST_CHILDREN.get(key)
    if children is None:
        children = _REQUEST_CHILDREN[key] = (
            REQUESTS.labels(endpoint, method, str(status)),
            LATENCY.labels(endpoint, str(status)),
        )
    children[0].inc()
    children[1].observe(seconds)


_REQUEST_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_search(response: Any) -> None:
    RESULTS.observe(response.total)
    if response.total == 0:
        ZERO_RESULTS.inc()
    if response.partial:
        PARTIAL.inc()


@blueprint.get("/metrics")
def metrics_view():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    index = CollectorRegistry()
    index.register(IndexCollector(state()))
    index.register(SourceCollector(state()))
    body = generate_latest(counted) + generate_latest(index)
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


class IndexCollector:
    """Gauges read from the live build and the journal when Prometheus scrapes."""

    def __init__(self, current: State) -> None:
        self.current = current

    def collect(self):
        documents = GaugeMetricFamily(
            "search_index_documents", "Documents in the live build", labels=["lang"]
        )
        age = GaugeMetricFamily("search_build_age_seconds", "Seconds since the live build")
        queued = GaugeMetricFamily(
            "search_writer_queue_depth", "Accepted updates waiting for the writer lock"
        )
        queued.add_metric([], len(Journal(self.current.store.root).pending()))
        try:
            build, searcher = self.current.handle.searcher()
        except IndexUnavailable:
            yield from (documents, age, queued)
            return
        for lang, count in sorted(documents_by(searcher, "lang")["lang"].items()):
            documents.add_metric([lang or "unknown"], count)
        created = build.info.get("created")
        if created:
            age.add_metric([], time.time() - datetime.fromisoformat(created).timestamp())
        yield from (documents, age, queued)


class SourceCollector:
    """Per-source sync health, read from the watermark files ``search-service sync`` keeps in
    the index directory (the sync worker is another process)."""

    def __init__(self, current: State) -> None:
        self.current = current

    def collect(self):
        success = GaugeMetricFamily(
            "search_source_last_success_timestamp_seconds",
            "When the last successful sync pass of a source ended (Unix time)",
            labels=["source"],
        )
        lag = GaugeMetricFamily(
            "search_source_lag_seconds",
            "Seconds since the last successful pass of a source started: changes older than "
            "this are in the index",
            labels=["source"],
        )
        errors = CounterMetricFamily(
            "search_source_errors",
            "Failed passes and pages that could not be fetched, per source",
            labels=["source"],
        )
        ahead = GaugeMetricFamily(
            "search_source_rows_ahead",
            "Records of a source's last pass stamped after the source's own clock (scheduled, "
            "or a clock ahead); read again each pass until their time",
            labels=["source"],
        )
        now = time.time()
        for name, source in all_states(self.current.store.root).items():
            errors.add_metric([name], source.get("errors", 0))
            if source.get("last_success"):
                success.add_metric([name], _timestamp(source["last_success"]))
            if source.get("last_success_started"):
                lag.add_metric([name], now - _timestamp(source["last_success_started"]))
            ahead.add_metric([name], source.get("ahead", 0))
        yield from (success, lag, errors, ahead)


def _timestamp(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()
