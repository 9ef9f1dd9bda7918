"""What the tests and the bench scripts share: real servers started on free loopback ports,
their processes, corpora and indexes built by the real indexer, and waiting for a condition.

The fixtures themselves stay in ``tests/conftest.py``; ``bench/`` imports these modules
with the repository root on ``sys.path``.
"""
