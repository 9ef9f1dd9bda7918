"""Benchmarks run by hand (not tests): relevance against public test collections, detection."""
