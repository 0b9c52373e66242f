"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis), database up.

Runs the real app in-process (ASGI) against the emulated MongoDB: every
generated request must get a documented, well-formed answer and never a
server error. Each operation is fuzzed with valid requests carrying the operator
key (the request bodies get exercised), without it (the key must be
enforced), and with invalid requests (they must be rejected with a 4xx).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from fixtures.mailstack.api import create_app
from fixtures.mailstack.settings import API_KEY_HEADER, LEG_HEADER, ApiSettings

from .procs import API_KEY

FUZZ_SETTINGS = {
    "ARCH": "as-fixed",
    "API_LEG": "fuzz",
    "API_KEY": API_KEY,
    "MONGO_DB": "fuzz",
    "DB_TIMEOUT_MS": "3000",
}
# The document does not depend on where the database is, so the cases can be listed up front.
DOCUMENT = create_app(ApiSettings.from_env(FUZZ_SETTINGS)).openapi()
CASES = [
    pytest.param(method.upper(), path, mode, with_key, id=f"{method.upper()} {path} {label}")
    for path, methods in DOCUMENT["paths"].items()
    for method, spec in methods.items()
    for mode, with_key, label in [
        (GenerationMode.POSITIVE, True, "valid-with-key"),
        (GenerationMode.POSITIVE, False, "valid-without-key"),
        (GenerationMode.NEGATIVE, True, "invalid-with-key"),
    ]
    # Without parameters or a body there is no invalid request to make.
    if mode is GenerationMode.POSITIVE or spec.get("parameters") or spec.get("requestBody")
]


@pytest.fixture(scope="module")
def api_schema(shared_db: str) -> schemathesis.BaseSchema:
    app: FastAPI = create_app(ApiSettings.from_env({**FUZZ_SETTINGS, "MONGO_URI": shared_db}))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize(("method", "path", "mode", "with_key"), CASES)
def test_api_answers_every_request_without_a_server_error(
    api_schema: schemathesis.BaseSchema, method: str, path: str, mode: GenerationMode, with_key: bool
) -> None:
    operation = api_schema[path][method]
    headers = {API_KEY_HEADER: API_KEY} if with_key else {}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def answers_well(case: schemathesis.Case[Any]) -> None:
        response = case.call_and_validate(headers=headers)
        assert response.headers.get(LEG_HEADER.lower()) == ["fuzz"]
        assert response.status_code < 500

    answers_well()
