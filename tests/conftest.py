"""Fixtures shared by the harness's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest

from harness.errors import HarnessError
from harness.runtime.engine import docker_client
from harness.runtime.images import ImageSet


@pytest.fixture(scope="session")
def docker_engine() -> docker.DockerClient:
    try:
        return docker_client()
    except HarnessError as err:
        pytest.fail(f"{err}\n(run `make test`, which starts an engine)", pytrace=False)


@pytest.fixture(scope="session")
def images(docker_engine: docker.DockerClient) -> Iterator[ImageSet]:
    from harness.runtime.setup import prepare

    yield prepare(None)
