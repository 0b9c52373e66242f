"""The 2018 driver's state machine: reconnect budget, then destroyed for good."""

from __future__ import annotations

import asyncio

import pytest

from fixtures.mailstack.driver2018 import Driver2018, DriverState, TopologyDestroyed
from fixtures.mailstack.store import DatabaseUnavailable


class FlakyStore:
    """Stands in for MailStore: ping fails while ``up`` is False."""

    def __init__(self) -> None:
        self.up = True
        self.pings = 0
        self.closed = False

    async def ping(self) -> None:
        self.pings += 1
        if not self.up:
            raise DatabaseUnavailable("connection refused")

    async def close(self) -> None:
        self.closed = True


def _driver(store: FlakyStore, tries: int = 3) -> Driver2018:
    return Driver2018(store, reconnect_tries=tries, reconnect_interval_s=0.02)  # type: ignore[arg-type]


async def _wait_for(driver: Driver2018, state: DriverState) -> None:
    async with asyncio.timeout(2):
        while driver.state is not state:
            await asyncio.sleep(0.005)


def test_gives_up_for_good_after_the_budget() -> None:
    async def scenario() -> None:
        store = FlakyStore()
        driver = _driver(store)
        task = asyncio.create_task(driver.run())
        store.up = False
        driver.report_failure(DatabaseUnavailable("lost"))
        await _wait_for(driver, DriverState.DESTROYED)
        store.up = True  # the network heals...
        await asyncio.sleep(0.1)
        with pytest.raises(TopologyDestroyed, match="Topology was destroyed"):
            driver.store()  # ...but the driver does not
        assert store.closed and task.done()
        assert driver.describe()["state"] == "destroyed"

    asyncio.run(scenario())


def test_recovers_within_the_budget() -> None:
    async def scenario() -> None:
        store = FlakyStore()
        driver = _driver(store, tries=50)
        task = asyncio.create_task(driver.run())
        store.up = False
        await _wait_for(driver, DriverState.RECONNECTING)  # the heartbeat noticed
        with pytest.raises(DatabaseUnavailable, match="reconnect attempt"):
            driver.store()
        store.up = True
        await _wait_for(driver, DriverState.CONNECTED)
        assert driver.store() is store  # type: ignore[comparison-overlap]
        task.cancel()

    asyncio.run(scenario())


def test_zero_tries_destroys_on_the_first_loss() -> None:
    async def scenario() -> None:
        store = FlakyStore()
        driver = _driver(store, tries=0)
        task = asyncio.create_task(driver.run())
        store.up = False
        await _wait_for(driver, DriverState.DESTROYED)
        await task

    asyncio.run(scenario())
