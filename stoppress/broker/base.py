"""The broker interface: fans a blog's recorded events out to every app process."""

from __future__ import annotations

import abc
from collections.abc import Callable

from stoppress.core.models import Event

Listener = Callable[[Event], None]


class Broker(abc.ABC):
    """Carries events from the process that recorded them to every process serving readers."""

    @abc.abstractmethod
    async def startup(self) -> None:
        """Connect; events published before this fail loudly."""

    @abc.abstractmethod
    async def shutdown(self) -> None:
        """Disconnect and stop delivering."""

    @abc.abstractmethod
    async def publish(self, event: Event) -> None:
        """Send a recorded event to every process (this one included)."""

    @abc.abstractmethod
    def listen(self, listener: Listener) -> None:
        """Call `listener` in the event loop for every event published by any process."""
