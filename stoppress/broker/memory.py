"""The in-process broker, the embedded default: events go straight to this process's listeners."""

from __future__ import annotations

import asyncio

from stoppress.broker.base import Broker, Listener
from stoppress.core.models import Event


class MemoryBroker(Broker):
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def shutdown(self) -> None:
        self._loop = None

    async def publish(self, event: Event) -> None:
        if self._loop is None:
            raise RuntimeError("MemoryBroker used before startup(); did you forget to call it?")
        for listener in self._listeners:
            listener(event)

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)
