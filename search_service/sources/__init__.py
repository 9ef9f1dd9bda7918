"""Readers that turn input files into validated :class:`~search_service.articles.Article`s."""

from .jsonl import SAMPLE_CORPUS, read_sources, read_stream

__all__ = ["SAMPLE_CORPUS", "read_sources", "read_stream"]
