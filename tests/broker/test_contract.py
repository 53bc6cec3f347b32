"""The `Broker` contract: every broker must pass this one suite.

Parametrised over `FACTORIES` (broker name -> async factory returning a broker that is not started yet);
adding e.g. "redis" is one more entry. Delivery may be asynchronous, so every wait is bounded.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from stoppress.broker.base import Broker
from stoppress.broker.memory import MemoryBroker
from stoppress.core.models import Event, EventKind


async def memory_broker() -> Broker:
    return MemoryBroker()


FACTORIES: dict[str, Callable[[], Awaitable[Broker]]] = {
    "memory": memory_broker,
}

TIMEOUT = 10.0


@pytest.fixture(params=sorted(FACTORIES))
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    """A broker that is NOT started; the test starts it. Shut down afterwards either way."""
    made = await FACTORIES[request.param]()
    try:
        yield made
    finally:
        await made.shutdown()


def event(blog_id: int, event_id: int, kind: EventKind = EventKind.ENTRY_PUBLISHED) -> Event:
    code = f"b{blog_id}e{event_id}"
    return Event(blog_id, event_id, kind, code, {"entry": {"code": code, "status": "published"}},
                 datetime(2024, 1, 23, 8, 0, event_id % 60, tzinfo=UTC))


def key(e: Event) -> tuple[int, int, str, str | None, dict[str, object]]:
    return (e.blog_id, e.id, str(e.kind), e.entry_code, e.data)


async def wait_for(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def test_publish_before_startup_fails_loudly(broker: Broker) -> None:
    received: list[Event] = []
    broker.listen(received.append)
    with pytest.raises(RuntimeError):
        await broker.publish(event(1, 1))
    assert received == []


async def test_every_listener_gets_every_event_in_publish_order(broker: Broker) -> None:
    listeners: list[list[Event]] = [[], [], []]
    for received in listeners:
        broker.listen(received.append)
    await broker.startup()
    published = [event(1, i) for i in range(1, 51)]
    for e in published:
        await broker.publish(e)
    await wait_for(lambda: all(len(r) >= len(published) for r in listeners))
    for received in listeners:
        assert [key(e) for e in received] == [key(e) for e in published]


async def test_a_listener_added_after_startup_gets_later_events(broker: Broker) -> None:
    early: list[Event] = []
    broker.listen(early.append)
    await broker.startup()
    await broker.publish(event(1, 1))
    await wait_for(lambda: len(early) == 1)
    late: list[Event] = []
    broker.listen(late.append)
    await broker.publish(event(1, 2))
    await wait_for(lambda: len(early) == 2 and len(late) == 1)
    assert [e.id for e in early] == [1, 2]
    assert [e.id for e in late] == [2]


async def test_events_of_different_blogs_are_all_delivered(broker: Broker) -> None:
    received: list[Event] = []
    broker.listen(received.append)
    await broker.startup()
    published = [event(blog_id, i) for i in range(1, 21) for blog_id in (1, 2, 3)]
    for e in published:
        await broker.publish(e)
    await wait_for(lambda: len(received) >= len(published))
    assert [key(e) for e in received] == [key(e) for e in published]
    for blog_id in (1, 2, 3):
        assert [e.id for e in received if e.blog_id == blog_id] == list(range(1, 21))


async def test_concurrent_publishers_lose_nothing(broker: Broker) -> None:
    received: list[Event] = []
    broker.listen(received.append)
    await broker.startup()

    async def publisher(blog_id: int) -> None:
        for i in range(1, 31):
            await broker.publish(event(blog_id, i))
            await asyncio.sleep(0)

    await asyncio.gather(*(publisher(b) for b in range(1, 6)))
    await wait_for(lambda: len(received) >= 150)
    assert len(received) == 150
    for blog_id in range(1, 6):
        assert [e.id for e in received if e.blog_id == blog_id] == list(range(1, 31))


async def test_listeners_run_in_the_event_loop(broker: Broker) -> None:
    loop = asyncio.get_running_loop()
    seen: list[tuple[asyncio.AbstractEventLoop | None, threading.Thread]] = []

    def listener(e: Event) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        seen.append((running, threading.current_thread()))

    broker.listen(listener)
    await broker.startup()
    await broker.publish(event(1, 1))
    await wait_for(lambda: len(seen) == 1)
    assert seen == [(loop, threading.current_thread())]


async def test_shutdown_stops_delivery(broker: Broker) -> None:
    received: list[Event] = []
    broker.listen(received.append)
    await broker.startup()
    await broker.publish(event(1, 1))
    await wait_for(lambda: len(received) == 1)
    await broker.shutdown()
    try:
        await broker.publish(event(1, 2))
    except RuntimeError:
        pass  # refusing to publish once shut down is fine: it must not deliver
    await asyncio.sleep(0.3)
    assert [e.id for e in received] == [1]

