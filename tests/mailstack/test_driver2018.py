"""The 2018 driver's state machine: reconnect budget, then destroyed for good."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.errors import AutoReconnect, ExecutionTimeout, WaitQueueTimeoutError

from fixtures.mailstack.driver2018 import (
    Driver2018,
    DriverState,
    Heartbeat,
    TopologyDestroyed,
)
from fixtures.mailstack.store import DatabaseUnavailable
from harness.runtime.ports import refusing_port


class FlakyDatabase:
    """Stands in for MailStore and the Heartbeat: pings fail while ``up`` is False."""

    def __init__(self) -> None:
        self.up = True
        self.closed = False

    async def ping(self, bound_s: float) -> bool:
        return self.up

    async def close(self) -> None:
        self.closed = True


class FakeStore:
    async def close(self) -> None:
        return None


def _driver(database: FlakyDatabase, tries: int = 3, interval_s: float = 0.02) -> Driver2018:
    return Driver2018(FakeStore(), database,  # type: ignore[arg-type]
                      reconnect_tries=tries, reconnect_interval_s=interval_s)


def _failure(cause: Exception) -> DatabaseUnavailable:
    try:
        raise DatabaseUnavailable(str(cause)) from cause
    except DatabaseUnavailable as failure:
        return failure


async def _wait_for(driver: Driver2018, state: DriverState) -> None:
    async with asyncio.timeout(2):
        while driver.state is not state:
            await asyncio.sleep(0.005)


def test_gives_up_for_good_after_the_budget() -> None:
    async def scenario() -> None:
        store = FlakyDatabase()
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
        store = FlakyDatabase()
        driver = _driver(store, tries=50)
        task = asyncio.create_task(driver.run())
        store.up = False
        await _wait_for(driver, DriverState.RECONNECTING)  # the heartbeat noticed
        with pytest.raises(DatabaseUnavailable, match="reconnect attempt"):
            driver.store()
        store.up = True
        await _wait_for(driver, DriverState.CONNECTED)
        assert isinstance(driver.store(), FakeStore)
        task.cancel()

    asyncio.run(scenario())


def test_zero_tries_destroys_on_the_first_loss() -> None:
    async def scenario() -> None:
        store = FlakyDatabase()
        driver = _driver(store, tries=0)
        task = asyncio.create_task(driver.run())
        store.up = False
        await _wait_for(driver, DriverState.DESTROYED)
        await task

    asyncio.run(scenario())


@pytest.mark.parametrize("cause", [ExecutionTimeout("operation exceeded time limit", 50),
                                   WaitQueueTimeoutError("Timed out while checking out a connection")],
                         ids=["operation-timed-out", "pool-full"])
def test_an_operation_that_ran_out_of_time_is_not_a_lost_connection(cause: Exception) -> None:
    # Incident C: a flood saturates the 2018 leg; it was slow then, never disconnected.
    async def scenario() -> None:
        # A 60 s interval: no heartbeat or reconnect attempt within the test, so a reported
        # loss would leave the driver reconnecting for all of it.
        driver = _driver(FlakyDatabase(), interval_s=60)
        task = asyncio.create_task(driver.run())
        driver.report_failure(_failure(cause))
        await asyncio.sleep(0.1)
        assert driver.state is DriverState.CONNECTED
        driver.report_failure(_failure(AutoReconnect("connection reset by peer")))
        await _wait_for(driver, DriverState.RECONNECTING)
        task.cancel()

    asyncio.run(scenario())


def test_the_heartbeat_answers_from_a_database_and_not_from_a_refusing_port(shared_db: str) -> None:
    async def pings(port: int) -> tuple[bool, bool]:
        alive = Heartbeat(shared_db, "test")
        dead = Heartbeat(f"mongodb://127.0.0.1:{port}/?directConnection=true", "test")
        try:
            return await alive.ping(2.0), await dead.ping(0.5)
        finally:
            await alive.close()
            await dead.close()

    with refusing_port() as port:
        assert asyncio.run(pings(port)) == (True, False)
