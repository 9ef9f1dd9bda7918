"""schemathesis against the OpenAPI description in openapi/search-service.json: generated
requests to every public and admin endpoint get answers that match the description, and never
a 500. (The reader-experience work serves its own /openapi.json; once both have landed this
test should load that one instead of the file.)"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from search_service import config as settings_module
from search_service import create_app, indexer
from search_service.sources import SAMPLE_CORPUS, read_sources
from search_service.store import IndexStore

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "search-service.json"
TOKEN = "contract-token"

schema = schemathesis.openapi.from_dict(json.loads(SPEC.read_text()))


@pytest.fixture(scope="module")
def contract_app(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("contract") / "index"
    config = settings_module.load({}, index_dir=index_dir)
    indexer.rebuild(IndexStore(index_dir), read_sources([SAMPLE_CORPUS]), config)
    return create_app({"index_dir": index_dir, "admin_token": TOKEN, "ratelimit": "1000000/second"})


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_matches_its_description(case, contract_app):
    random.seed()  # Whoosh names segments with `random`, which hypothesis pins per example
    case.call_and_validate(
        app=contract_app,
        headers={"Authorization": f"Bearer {TOKEN}"},
        # Kept: no 5xx, documented status codes, content types and body schemas. Left out:
        # "valid data accepted" (rules a schema cannot say, such as from after to, are a 400),
        # "invalid data rejected" (an object-typed query value serialises to other keys and
        # is ignored, as it should be) and the auth probe (test_admin.py covers tokens).
        excluded_checks=[positive_data_acceptance, negative_data_rejection, ignored_auth],
    )
