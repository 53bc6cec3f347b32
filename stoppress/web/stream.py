"""The live stream: each blog event is encoded once as Server-Sent Events bytes and written to every reader.

A `Channel` holds one blog's open streams in this process as a set of *writers* (an asyncio transport, or
the adapter used under other ASGI servers) and its recent encoded events. When the broker hands over an
event, the channel encodes it once and writes the same `bytes` to each writer in a plain loop: no queue
and no task per reader. A reader whose socket buffer grows past a limit has stopped reading and is
dropped; its browser reconnects with `Last-Event-ID` and gets what it missed from the event log.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from stoppress.core.errors import NotFound
from stoppress.core.models import Blog, Event, EventKind
from stoppress.core.services import Newsroom

log = logging.getLogger("stoppress.stream")

RESPONSE_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/event-stream; charset=utf-8\r\n"
    b"Cache-Control: no-cache, no-transform\r\n"
    b"X-Accel-Buffering: no\r\n"
    b"Access-Control-Allow-Origin: *\r\n"
    b"Connection: close\r\n\r\n"
)
HEARTBEAT = b": keep-alive\n\n"
RECENT = 1024  # encoded events a channel keeps for readers that join or resume


class Writer(Protocol):
    """What a reader's connection offers the channel: the subset of asyncio.Transport it uses."""

    def write(self, data: bytes) -> None: ...
    def get_write_buffer_size(self) -> int: ...
    def is_closing(self) -> bool: ...
    def abort(self) -> None: ...


Render = Callable[[Blog, Event], dict[str, Any] | None]


def encode(event_id: int, data: dict[str, Any]) -> bytes:
    """One SSE message; JSON escapes newlines, so the data is always one `data:` line."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return b"id: %d\ndata: %s\n\n" % (event_id, body.encode())


class Channel:
    """One blog's live state in this process."""

    __slots__ = ("blog", "last_id", "floor", "recent", "writers", "filling", "opening")

    def __init__(self, blog: Blog) -> None:
        self.blog = blog
        self.last_id = blog.last_event_id
        # Every public event with an id above `floor` is in `recent` (desk-only events are not kept).
        self.floor = blog.last_event_id
        self.recent: deque[tuple[int, bytes]] = deque()
        self.writers: set[Writer] = set()
        self.filling = False
        self.opening = 0  # readers still being caught up; the channel must outlive them

    def keep(self, event_id: int, data: bytes) -> None:
        self.recent.append((event_id, data))
        if len(self.recent) > RECENT:
            self.floor = self.recent.popleft()[0]

    def since(self, after: int) -> list[bytes] | None:
        """Encoded events newer than `after` held in memory, or None if they reach back too far."""
        if after < self.floor:
            return None
        return [data for event_id, data in self.recent if event_id > after]

    def deliver(self, data: bytes, max_buffer: int) -> None:
        dropped = []
        for writer in self.writers:
            if writer.is_closing():
                dropped.append(writer)
            elif writer.get_write_buffer_size() > max_buffer:
                writer.abort()  # it stopped reading; it will resume from the log when it comes back
                dropped.append(writer)
            else:
                writer.write(data)
        for writer in dropped:
            self.writers.discard(writer)


class Hub:
    """Every channel of this process; listens to the broker and serves streams."""

    def __init__(
        self,
        newsroom: Newsroom,
        render: Render,
        *,
        heartbeat: float = 15.0,
        max_buffer: int = 256 * 1024,
        on_change: Callable[[int, int], None] | None = None,
    ) -> None:
        self.newsroom = newsroom
        self.render = render
        self.heartbeat = heartbeat
        self.max_buffer = max_buffer
        self.on_change = on_change
        self.channels: dict[int, Channel] = {}
        self.slugs: dict[str, int] = {}  # slug -> blog id of the open channels, so joining costs no query
        self._encoded: OrderedDict[tuple[int, int], bytes | None] = OrderedDict()
        self._beat: asyncio.Task[None] | None = None
        newsroom.broker.listen(self.on_event)

    async def startup(self) -> None:
        self._beat = asyncio.create_task(self._heartbeat())

    async def shutdown(self) -> None:
        if self._beat:
            self._beat.cancel()
        for channel in self.channels.values():
            for writer in list(channel.writers):
                writer.abort()
        self.channels.clear()

    @property
    def readers(self) -> int:
        return sum(len(c.writers) for c in self.channels.values())

    # Events in

    def on_event(self, event: Event) -> None:
        if self.on_change and event.public:
            self.on_change(event.blog_id, event.id)
        channel = self.channels.get(event.blog_id)
        if channel is None or event.id <= channel.last_id:
            return
        if event.id == channel.last_id + 1 and not channel.filling:
            self._accept(channel, event)
        else:
            # Events can reach us out of order (several writers, several processes): the log decides.
            self._fill(channel)

    def _accept(self, channel: Channel, event: Event) -> None:
        if event.kind is EventKind.BLOG_UPDATED and "blog" in event.data:
            self.slugs.pop(channel.blog.slug, None)
            _refresh_blog(channel.blog, event.data["blog"])
            self.slugs[channel.blog.slug] = channel.blog.id or 0
        channel.last_id = event.id
        data = self._encode(channel.blog, event)
        if data is not None:
            channel.keep(event.id, data)
            channel.deliver(data, self.max_buffer)

    def _fill(self, channel: Channel) -> None:
        if channel.filling:
            return
        channel.filling = True

        async def fill() -> None:
            try:
                while events := await self.newsroom.storage.events_after(channel.blog.id or 0, channel.last_id):
                    for event in events:
                        self._accept(channel, event)
            except Exception:  # noqa: BLE001 - a failed fill is retried by the next event
                log.exception("could not read the event log of blog %s", channel.blog.slug)
            finally:
                channel.filling = False

        asyncio.get_running_loop().create_task(fill())

    def _encode(self, blog: Blog, event: Event) -> bytes | None:
        key = (event.blog_id, event.id)
        if key in self._encoded:
            self._encoded.move_to_end(key)
            return self._encoded[key]
        payload = self.render(blog, event)
        data = None if payload is None else encode(event.id, payload)
        self._encoded[key] = data
        if len(self._encoded) > 4096:
            self._encoded.popitem(last=False)
        return data

    # Readers in

    async def open(self, slug: str, after: int | None, send_head: Callable[[], None], writer: Writer) -> None:
        """Start a reader's stream: send what it missed since `after`, then add it to the channel."""
        channel = self.channels.get(self.slugs.get(slug, -1))
        if channel is None:
            blog = await self.newsroom.get_blog(slug)  # NotFound propagates before anything is sent
            channel = self.channels.get(blog.id or 0)
            if channel is None:
                channel = self.channels[blog.id or 0] = Channel(blog)
                self.slugs[blog.slug] = blog.id or 0
                self._fill(channel)  # catch events recorded between reading the blog and now
        channel.opening += 1
        try:
            send_head()
            await self._catch_up(channel, after, writer)
        finally:
            channel.opening -= 1
        if not writer.is_closing():
            writer.write(b"retry: 2000\n\n")
            channel.writers.add(writer)

    async def _catch_up(self, channel: Channel, after: int | None, writer: Writer) -> None:
        """Write what a reader missed since `after`: from memory when we still have it, else from the log."""
        position = channel.last_id if after is None else min(after, channel.last_id)
        while position < channel.last_id and not writer.is_closing():
            kept = channel.since(position)
            if kept is not None:
                for data in kept:
                    writer.write(data)
                return
            events = await self.newsroom.events_after(channel.blog, position, limit=500)
            if not events:
                return
            target = channel.last_id
            for event in events:
                if event.id > target:
                    break
                data = self._encode(channel.blog, event)
                if data is not None:
                    writer.write(data)
                position = event.id

    def close(self, writer: Writer) -> None:
        for channel in self.channels.values():
            channel.writers.discard(writer)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            for channel in list(self.channels.values()):
                channel.deliver(HEARTBEAT, self.max_buffer)
                if not channel.writers and not channel.opening:
                    del self.channels[channel.blog.id or 0]
                    self.slugs.pop(channel.blog.slug, None)


def _refresh_blog(blog: Blog, snapshot: dict[str, Any]) -> None:
    for name in ("slug", "title", "description", "language", "publisher", "timezone"):
        if name in snapshot:
            setattr(blog, name, snapshot[name])


def parse_after(last_event_id: str | None, query_after: str | None) -> int | None:
    for value in (last_event_id, query_after):
        if value and value.strip().isdigit():
            return int(value.strip())
    return None


# The stream under any ASGI server (uvicorn's default protocol, hypercorn, tests): the same channel
# machinery, with a small adapter that turns writes into ASGI sends.


class _AsgiWriter:
    __slots__ = ("pending", "size", "wake", "closed")

    def __init__(self) -> None:
        self.pending: list[bytes] = []
        self.size = 0
        self.wake = asyncio.Event()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.pending.append(data)
        self.size += len(data)
        self.wake.set()

    def get_write_buffer_size(self) -> int:
        return self.size

    def is_closing(self) -> bool:
        return self.closed

    def abort(self) -> None:
        self.closed = True
        self.wake.set()


class AsgiStream:
    """The live stream as a plain ASGI app, for servers other than `stoppress serve`."""

    def __init__(self, hub: Hub, not_found: Callable[[str], Awaitable[Any]]) -> None:
        self.hub = hub
        self.not_found = not_found

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        slug = scope["path_params"]["slug"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if "=" in p)
        writer = _AsgiWriter()
        try:
            await self.hub.open(slug, parse_after(headers.get("last-event-id"), query.get("after")), lambda: None, writer)
        except NotFound as exc:
            response = await self.not_found(exc.message)
            await response(scope, receive, send)
            return
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [(k.lower().encode(), v.encode()) for k, v in _head_headers()],
        })

        async def until_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        disconnected = asyncio.ensure_future(until_disconnect())
        try:
            while not writer.closed and not disconnected.done():
                if writer.pending:
                    chunk, writer.pending, writer.size = b"".join(writer.pending), [], 0
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    continue
                writer.wake.clear()
                waiter = asyncio.ensure_future(writer.wake.wait())
                await asyncio.wait({waiter, disconnected}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
        finally:
            writer.closed = True
            self.hub.close(writer)
            disconnected.cancel()


def _head_headers() -> list[tuple[str, str]]:
    lines = RESPONSE_HEAD.decode().split("\r\n")[1:]
    return [tuple(line.split(": ", 1)) for line in lines if line and not line.startswith("Connection")]  # type: ignore[misc]
