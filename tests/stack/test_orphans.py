"""At start, a run removes what runs whose owner is gone left behind, and nothing of a live one."""

from __future__ import annotations

import socket
import subprocess
import uuid

import docker
import pytest

from harness.runtime.setup import prepare
from harness.stack.cleanup import LABEL_OWNER, LABEL_RUN, remove_leftovers, remove_orphans, this_owner

pytestmark = pytest.mark.docker


def test_runs_of_a_dead_owner_are_removed_and_runs_of_a_live_one_kept() -> None:
    client = docker.from_env()
    image = prepare(None).toxiproxy
    finished = subprocess.Popen(["true"])
    finished.wait()
    dead_owner = f"{socket.gethostname()}:{finished.pid}:1"
    dead_run, live_run = f"dead{uuid.uuid4().hex[:6]}", f"live{uuid.uuid4().hex[:6]}"
    try:
        for run, owner in ((dead_run, dead_owner), (live_run, this_owner())):
            client.containers.create(image, labels={LABEL_RUN: run, LABEL_OWNER: owner})
        assert dead_run in remove_orphans(client)
        assert client.containers.list(all=True, filters={"label": f"{LABEL_RUN}={dead_run}"}) == []
        assert len(client.containers.list(all=True, filters={"label": f"{LABEL_RUN}={live_run}"})) == 1
    finally:
        remove_leftovers(client, dead_run)
        remove_leftovers(client, live_run)


def test_networks_of_a_dead_owner_are_removed_when_its_containers_are_already_gone() -> None:
    client = docker.from_env()
    finished = subprocess.Popen(["true"])
    finished.wait()
    dead_run = f"dead{uuid.uuid4().hex[:6]}"
    try:
        client.networks.create(f"outage-{dead_run}-east", labels={
            LABEL_RUN: dead_run, LABEL_OWNER: f"{socket.gethostname()}:{finished.pid}:1"})
        assert dead_run in remove_orphans(client)
        assert client.networks.list(filters={"label": f"{LABEL_RUN}={dead_run}"}) == []
    finally:
        remove_leftovers(client, dead_run)


def test_a_run_of_another_host_is_never_judged_gone() -> None:
    from harness.stack.cleanup import owner_gone

    assert not owner_gone("some-other-host:1:1")
    assert owner_gone(f"{socket.gethostname()}:999999999:1")
    assert not owner_gone(this_owner())
