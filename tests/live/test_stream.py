"""The live stream (Server-Sent Events) against a real server.

An endless SSE stream cannot be read through an in-process client, so these tests talk to `stoppress serve`
(the `live_server` fixture) over real sockets, and to the app under plain uvicorn (h11) for the portable
ASGI path. Every wait is bounded; nothing asserts how fast anything is.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from stoppress.app import create_app
from stoppress.broker.memory import MemoryBroker
from stoppress.core.models import Role, User
from stoppress.core.services import Newsroom
from stoppress.settings import Settings
from stoppress.storage.sqlite import SQLiteStorage
from stoppress.web.render import Renderer, Site
from stoppress.web.stream import Hub

TIMEOUT = 20.0


# A small SSE client over any byte source


@dataclass
class Message:
    id: int
    data: dict[str, Any]
    raw: bytes  # the exact bytes of the message, up to and including its blank line


class EventStream:
    """Splits a byte source into SSE blocks (messages, comments, retry lines)."""

    def __init__(self, read: Callable[[], Awaitable[bytes]], close: Callable[[], Awaitable[None]]) -> None:
        self._read = read
        self._close = close
        self.buffer = b""
        self.comments: list[bytes] = []

    async def block(self, timeout: float = TIMEOUT) -> bytes:
        deadline = time.monotonic() + timeout
        while b"\n\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete SSE block within {timeout} s; have {self.buffer[:200]!r}")
            chunk = await asyncio.wait_for(self._read(), remaining)
            if not chunk:
                raise EOFError(f"the server closed the stream; unparsed: {self.buffer[:200]!r}")
            self.buffer += chunk
        block, self.buffer = self.buffer.split(b"\n\n", 1)
        return block + b"\n\n"

    async def message(self, timeout: float = TIMEOUT) -> Message:
        """The next event message, skipping comments (heartbeats) and `retry:` lines."""
        deadline = time.monotonic() + timeout
        while True:
            block = await self.block(max(deadline - time.monotonic(), 0.001))
            if block.startswith(b":"):
                self.comments.append(block)
                continue
            if block.startswith(b"retry:"):
                continue
            return parse_message(block)

    async def ready(self, timeout: float = TIMEOUT) -> list[Message]:
        """Read up to the `retry:` line the server sends once the reader is subscribed; returns the replay."""
        deadline = time.monotonic() + timeout
        replay = []
        while True:
            block = await self.block(max(deadline - time.monotonic(), 0.001))
            if block.startswith(b"retry:"):
                return replay
            if not block.startswith(b":"):
                replay.append(parse_message(block))

    async def messages(self, count: int, timeout: float = TIMEOUT) -> list[Message]:
        deadline = time.monotonic() + timeout
        return [await self.message(max(deadline - time.monotonic(), 0.001)) for _ in range(count)]

    async def close(self) -> None:
        await self._close()


def parse_message(block: bytes) -> Message:
    fields: dict[str, list[str]] = {}
    for line in block.decode().split("\n"):
        if line:
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value.removeprefix(" "))
    assert set(fields) == {"id", "data"}, block[:300]
    assert len(fields["id"]) == 1 and len(fields["data"]) == 1, block[:300]
    return Message(int(fields["id"][0]), json.loads(fields["data"][0]), block)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    stream: EventStream


async def open_raw(base_url: str, path: str, headers: dict[str, str] | None = None) -> RawResponse:
    """GET `path` over a plain asyncio connection; returns the status, headers and the body as a stream."""
    url = urlsplit(base_url)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(url.hostname, url.port, limit=1 << 22), TIMEOUT
    )
    lines = [f"GET {path} HTTP/1.1", f"Host: {url.netloc}", "Accept: text/event-stream", "Cache-Control: no-cache"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {k.lower(): v for k, _, v in (h.partition(": ") for h in header_lines if h)}

    async def close() -> None:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), TIMEOUT)
        except (ConnectionError, TimeoutError):
            pass

    return RawResponse(int(status_line.split(" ")[1]), parsed, EventStream(lambda: reader.read(1 << 16), close))


async def open_stream(base_url: str, slug: str, query: str = "", headers: dict[str, str] | None = None) -> EventStream:
    response = await open_raw(base_url, f"/live/{slug}/events{query}", headers)
    assert response.status == 200, response
    assert response.headers["content-type"].startswith("text/event-stream")
    return response.stream


# The API, as the desk uses it


class Desk:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def create_blog(self, slug: str, title: str | None = None) -> dict[str, Any]:
        response = await self.client.post("/api/v1/blogs", json={"title": title or f"{slug} live", "slug": slug})
        assert response.status_code == 201, response.text
        return response.json()

    async def publish(self, slug: str, title: str, body: str = "<p>Details follow.</p>", **extra: Any) -> dict[str, Any]:
        response = await self.client.post(f"/api/v1/blogs/{slug}/entries", json={"title": title, "body": body, **extra})
        assert response.status_code == 201, response.text
        return response.json()

    async def edit(self, slug: str, code: str, **changes: Any) -> dict[str, Any]:
        response = await self.client.patch(f"/api/v1/blogs/{slug}/entries/{code}", json=changes)
        assert response.status_code == 200, response.text
        return response.json()

    async def delete(self, slug: str, code: str) -> None:
        response = await self.client.delete(f"/api/v1/blogs/{slug}/entries/{code}")
        assert response.status_code == 204, response.text

    async def key_points(self, slug: str, items: list[str]) -> None:
        response = await self.client.put(f"/api/v1/blogs/{slug}/key-points", json={"items": items})
        assert response.status_code == 200, response.text

    async def update_blog(self, slug: str, changes: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.patch(f"/api/v1/blogs/{slug}", json=changes)
        assert response.status_code == 200, response.text
        return response.json()

    async def last_event_id(self, slug: str) -> int:
        response = await self.client.get(f"/api/v1/blogs/{slug}")
        assert response.status_code == 200, response.text
        return int(response.json()["last_event_id"])


@pytest.fixture
async def desk(live_server: Any) -> AsyncIterator[Desk]:
    async with httpx.AsyncClient(base_url=live_server.url, headers=live_server.auth, timeout=TIMEOUT) as client:
        yield Desk(client)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


# One blog's life on its stream


async def test_published_edited_deleted_and_key_points_arrive_in_order(live_server: Any, desk: Desk) -> None:
    await desk.create_blog("storm", "Storm live")
    stream = await open_stream(live_server.url, "storm")
    try:
        assert await stream.ready() == []

        entry = await desk.publish("storm", "Trees down on Main Street", "<p>Crews are <em>on their way</em>.</p>")
        published = await stream.message()
        assert published.raw.startswith(b"id: %d\ndata: {" % published.id)
        assert published.data["kind"] == "entry.published"
        assert published.data["code"] == entry["code"]
        assert published.data["version"] == 1
        assert "Trees down on Main Street" in published.data["html"]
        assert "<em>on their way</em>" in published.data["html"]

        await desk.edit("storm", entry["code"], title="Trees down on Main and Elm", body="<p>Two streets closed.</p>")
        updated = await stream.message()
        assert updated.data["kind"] == "entry.updated"
        assert updated.data["code"] == entry["code"] and updated.data["version"] == 2
        assert "Trees down on Main and Elm" in updated.data["html"]
        assert "Two streets closed." in updated.data["html"]
        assert "on their way" not in updated.data["html"]

        await desk.delete("storm", entry["code"])
        deleted = await stream.message()
        assert deleted.data == {"kind": "entry.deleted", "code": entry["code"]}

        await desk.key_points("storm", ["Power is out in the north", "Schools are closed"])
        points = await stream.message()
        assert points.data["kind"] == "key_points.updated"
        assert "Power is out in the north" in points.data["html"] and "Schools are closed" in points.data["html"]

        ids = [m.id for m in (published, updated, deleted, points)]
        assert ids == sorted(set(ids)), ids
        assert ids == list(range(ids[0], ids[0] + 4))  # every one of these changes is public
        assert ids[-1] == await desk.last_event_id("storm")
    finally:
        await stream.close()


async def test_a_draft_produces_no_message_until_it_is_published(live_server: Any, desk: Desk) -> None:
    await desk.create_blog("storm")
    stream = await open_stream(live_server.url, "storm")
    try:
        await stream.ready()
        draft = await desk.publish("storm", "Secret draft", "<p>Not yet</p>", status="draft")
        await desk.edit("storm", draft["code"], title="Secret draft, reworded")
        other_draft = await desk.publish("storm", "Another draft", status="draft")
        await desk.delete("storm", other_draft["code"])  # the newest entry: its id must not be reused
        public = await desk.publish("storm", "Public update")

        message = await stream.message()
        assert (message.data["kind"], message.data["code"]) == ("entry.published", public["code"])
        assert b"Secret draft" not in message.raw and b"Another draft" not in message.raw
        assert message.id == await desk.last_event_id("storm")  # the drafts' events took ids, silently

        await desk.edit("storm", draft["code"], status="published")
        went_live = await stream.message()
        assert (went_live.data["kind"], went_live.data["code"]) == ("entry.published", draft["code"])
        assert "Secret draft, reworded" in went_live.data["html"]
        assert went_live.id == message.id + 1
    finally:
        await stream.close()


async def test_another_blogs_events_never_appear(live_server: Any, desk: Desk) -> None:
    await desk.create_blog("storm")
    await desk.create_blog("flood")
    storm = await open_stream(live_server.url, "storm")
    flood = await open_stream(live_server.url, "flood")
    try:
        await storm.ready()
        await flood.ready()
        flood_codes = set()
        storm_codes = []
        for i in range(3):
            flood_codes.add((await desk.publish("flood", f"Flood {i}"))["code"])
            await desk.key_points("flood", [f"Flood point {i}"])
        for i in range(2):
            storm_codes.append((await desk.publish("storm", f"Storm {i}"))["code"])

        got = await storm.messages(2)
        assert [m.data["code"] for m in got] == storm_codes
        assert not any(b"Flood" in m.raw for m in got)
        on_flood = await flood.messages(6)
        assert {m.data.get("code") for m in on_flood} - {None} == flood_codes
        assert not any(b"Storm" in m.raw for m in on_flood)
        # Nothing of the flood blog is waiting on the storm stream either.
        sentinel = await desk.publish("storm", "Storm sentinel")
        assert (await storm.message()).data["code"] == sentinel["code"]
    finally:
        await storm.close()
        await flood.close()


async def test_a_scheduled_entry_arrives_when_its_time_comes(live_server: Any, desk: Desk) -> None:
    await desk.create_blog("storm")
    stream = await open_stream(live_server.url, "storm")
    try:
        await stream.ready()
        publish_at = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
        entry = await desk.publish("storm", "At the top of the hour", status="scheduled", publish_at=publish_at)
        assert entry["status"] == "scheduled"
        message = await stream.message()  # the app's scheduler runs every few seconds
        assert (message.data["kind"], message.data["code"]) == ("entry.published", entry["code"])
        assert message.data["version"] == 2  # nothing was sent when it was only scheduled
        assert "At the top of the hour" in message.data["html"]
    finally:
        await stream.close()


async def test_a_renamed_blog_keeps_its_readers_and_streams_under_its_new_slug(live_server: Any, desk: Desk) -> None:
    await desk.create_blog("storm")
    before = await open_stream(live_server.url, "storm")
    try:
        await before.ready()
        await desk.update_blog("storm", {"slug": "storm-2024", "title": "Storm 2024"})
        renamed = await before.message()
        assert renamed.data == {"kind": "blog.updated", "title": "Storm 2024", "status": "live"}
        entry = await desk.publish("storm-2024", "Under the new name")
        assert (await before.message()).data["code"] == entry["code"]

        after = await open_stream(live_server.url, "storm-2024")
        try:
            assert await after.ready() == []
            second = await desk.publish("storm-2024", "Both see this")
            seen_before, seen_after = await before.message(), await after.message()
            assert seen_before.raw == seen_after.raw and seen_after.data["code"] == second["code"]
        finally:
            await after.close()
        old = await open_raw(live_server.url, "/live/storm/events")
        await old.stream.close()
        assert old.status == 404
    finally:
        await before.close()


# Resume


@pytest.mark.parametrize("how", ["last-event-id", "after"])
async def test_a_reader_that_reconnects_gets_exactly_what_it_missed(live_server: Any, desk: Desk, how: str) -> None:
    await desk.create_blog("storm")

    def resume_args(last: int) -> dict[str, Any]:
        if how == "last-event-id":
            return {"headers": {"Last-Event-ID": str(last)}}
        return {"query": f"?after={last}"}

    stream = await open_stream(live_server.url, "storm")
    await stream.ready()
    for i in range(2):
        await desk.publish("storm", f"Seen {i}")
    seen = await stream.messages(2)
    last = seen[-1].id
    await stream.close()

    # 1. Missed while another reader keeps the blog's channel open (recent events held in memory).
    witness = await open_stream(live_server.url, "storm")
    await witness.ready()
    missed = [(await desk.publish("storm", f"Missed {i}"))["code"] for i in range(3)]
    witnessed = await witness.messages(3)
    stream = await open_stream(live_server.url, "storm", **resume_args(last))
    try:
        replay = await stream.ready()
        assert [m.data["code"] for m in replay] == missed
        assert [m.id for m in replay] == [last + 1, last + 2, last + 3]
        assert [m.raw for m in replay] == [m.raw for m in witnessed]
        live = await desk.publish("storm", "Live again")
        after = await stream.message()
        assert (after.id, after.data["code"]) == (last + 4, live["code"])  # nothing twice, nothing lost
        last = after.id
    finally:
        await stream.close()
        await witness.close()

    # 2. Missed while nobody reads: the channel is dropped at a heartbeat, the replay comes from the log.
    missed = [(await desk.publish("storm", f"Missed later {i}"))["code"] for i in range(3)]
    await asyncio.sleep(2.5)  # more than two heartbeats (STOPPRESS_HEARTBEAT=1)
    stream = await open_stream(live_server.url, "storm", **resume_args(last))
    try:
        replay = await stream.ready()
        assert [m.data["code"] for m in replay] == missed
        assert [m.id for m in replay] == [last + 1, last + 2, last + 3]
        live = await desk.publish("storm", "Live once more")
        after = await stream.message()
        assert (after.id, after.data["code"]) == (last + 4, live["code"])
    finally:
        await stream.close()

    # 3. A reader that is up to date gets no replay at all.
    stream = await open_stream(live_server.url, "storm", **resume_args(last + 4))
    try:
        assert await stream.ready() == []
    finally:
        await stream.close()


async def test_a_resumed_message_is_byte_identical_to_the_live_one(live_server: Any, desk: Desk) -> None:
    await desk.create_blog("storm")
    live = await open_stream(live_server.url, "storm")
    try:
        await live.ready()
        await desk.publish("storm", "Once")
        original = await live.message()
    finally:
        await live.close()
    await asyncio.sleep(2.5)  # the channel is dropped at a heartbeat: the replay is read from the event log
    again = await open_stream(live_server.url, "storm", headers={"Last-Event-ID": str(original.id - 1)})
    try:
        assert [m.raw for m in await again.ready()] == [original.raw]
    finally:
        await again.close()


# Connection handling


async def test_an_idle_stream_gets_heartbeat_comments(live_server: Any, desk: Desk) -> None:
    await desk.create_blog("quiet")
    stream = await open_stream(live_server.url, "quiet")
    try:
        await stream.ready()
        block = await stream.block(timeout=10)
        assert block.startswith(b":")
        assert block.endswith(b"\n\n")
    finally:
        await stream.close()


async def test_an_unknown_blog_is_404(live_server: Any) -> None:
    response = await open_raw(live_server.url, "/live/no-such-blog/events")
    await response.stream.close()
    assert response.status == 404
    async with httpx.AsyncClient(base_url=live_server.url, timeout=TIMEOUT) as client:
        answer = await client.get("/live/no-such-blog/events", headers={"Last-Event-ID": "3"})
        assert answer.status_code == 404


async def test_two_hundred_readers_get_the_same_bytes(live_server: Any, desk: Desk) -> None:
    await desk.create_blog("storm")
    streams = await asyncio.gather(*(open_stream(live_server.url, "storm") for _ in range(200)))
    try:
        await asyncio.gather(*(s.ready() for s in streams))
        entry = await desk.publish("storm", "Everyone sees this", "<p>" + "Same bytes for all. " * 50 + "</p>")
        received = await asyncio.gather(*(s.message() for s in streams))
        assert len(received) == 200
        assert {m.raw for m in received} == {received[0].raw}
        assert received[0].data["kind"] == "entry.published" and received[0].data["code"] == entry["code"]

        # 199 leave; the one who stays gets every later event, and the server shrugs the rest off.
        await asyncio.gather(*(s.close() for s in streams[1:]))
        codes = [(await desk.publish("storm", f"Update {i}"))["code"] for i in range(3)]
        assert [m.data["code"] for m in await streams[0].messages(3)] == codes
        assert live_server.process.poll() is None
    finally:
        await asyncio.gather(*(s.close() for s in streams))


def drain(sock: socket.socket, timeout: float) -> tuple[int, str]:
    """Read everything until the server closes, for at most `timeout` seconds: (bytes read, how it ended).

    A connection the server still serves never goes quiet (heartbeats), so "open" means the deadline passed.
    """
    deadline = time.monotonic() + timeout
    total = 0
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(min(remaining, 5.0))
        try:
            chunk = sock.recv(1 << 20)
        except ConnectionResetError:
            return total, "reset"
        except TimeoutError:
            continue
        if not chunk:
            return total, "closed"
        total += len(chunk)
    return total, "open"


def kernel_send_buffer_max() -> int:
    """How much the server's kernel may buffer for one socket before its own write buffer starts to grow."""
    try:
        return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    except (OSError, IndexError, ValueError):
        return 4 * 1024 * 1024


STREAM_BUFFER_BYTES = Settings().stream_buffer_bytes  # the server's limit for one reader's unsent data


async def test_a_reader_that_stops_reading_is_dropped(live_server: Any, desk: Desk) -> None:
    await desk.create_blog("storm")
    url = urlsplit(live_server.url)
    normal = await open_stream(live_server.url, "storm")
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.settimeout(TIMEOUT)
        slow.connect((url.hostname, url.port))
        slow.sendall(f"GET /live/storm/events HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode())
        await normal.ready()
        await asyncio.sleep(0.2)  # the slow reader's request is read and it is subscribed (nothing to read back)
        rss_before = rss_kib(live_server.process.pid)

        body = "\n\n".join(f"Paragraph {i}: " + "the storm is still raging over the coast " * 25 for i in range(48))
        assert 45_000 < len(body) < 100_000
        # The server's kernel first absorbs up to tcp_wmem's maximum (about 60 such messages with the usual 4 MB):
        # only past that does the server's own buffer grow beyond its limit and the reader get dropped.
        count = (kernel_send_buffer_max() + STREAM_BUFFER_BYTES) // len(body) + 8
        published = 0
        for i in range(count):
            entry = await desk.publish("storm", f"Long update {i}", body, format="text")
            message = await normal.message()
            assert message.data["code"] == entry["code"]
            assert len(message.raw) > len(body)
            published += len(message.raw)
        rss_after = rss_kib(live_server.process.pid)

        read, ending = await asyncio.to_thread(drain, slow, TIMEOUT)
        assert ending in ("closed", "reset"), (
            f"the server still serves a reader that stopped reading after {count} messages ({read} bytes read)")
        assert read < published  # what it had not sent when it dropped the reader is gone
        assert rss_after - rss_before < 50 * 1024, (rss_before, rss_after)

        # The normal reader got every message, and still gets new ones.
        last = await desk.publish("storm", "After the drop")
        assert (await normal.message()).data["code"] == last["code"]
    finally:
        slow.close()
        await normal.close()


# The hub, in process: a race the real server only loses now and then


class _Writer:
    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.data.append(data)

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return self.closing

    def abort(self) -> None:
        self.closing = True


async def test_a_reader_resuming_during_a_heartbeat_still_gets_later_events(tmp_path: Path) -> None:
    """Regression: a heartbeat tick during a resuming reader's replay deleted its channel (no writers yet), and
    the reader was then added to that orphaned channel and never received another event."""
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 'hub.db'}")
    broker = MemoryBroker()
    await storage.startup()
    await broker.startup()
    newsroom = Newsroom(storage, broker)
    hub = Hub(newsroom, Renderer(Site("http://x", "http://x/p/")).event_payload, heartbeat=0.05)
    await hub.startup()
    editor = User(id=None, name="desk", role=Role.EDITOR)
    try:
        await newsroom.create_blog(editor, {"title": "Storm", "slug": "storm"})
        for i in range(3):
            await newsroom.create_entry(editor, "storm", {"title": f"Before {i}", "body": "<p>x</p>"})
        events_after = storage.events_after

        async def slow_events_after(blog_id: int, after: int, limit: int = 500) -> Any:
            await asyncio.sleep(0.3)  # a large replay, or a busy database: several heartbeats pass
            return await events_after(blog_id, after, limit)

        storage.events_after = slow_events_after  # type: ignore[method-assign]
        writer = _Writer()
        await asyncio.wait_for(hub.open("storm", 1, lambda: None, writer), TIMEOUT)
        assert len([d for d in writer.data if d.startswith(b"id:")]) == 3
        entry = await newsroom.create_entry(editor, "storm", {"title": "Later", "body": "<p>y</p>"})

        async def arrived() -> None:
            while not any(entry.code.encode() in d for d in writer.data):
                await asyncio.sleep(0.02)

        await asyncio.wait_for(arrived(), 5)
    finally:
        await hub.shutdown()
        await broker.shutdown()
        await storage.shutdown()


# The portable path: the app's own /live/{slug}/events route under plain uvicorn (h11)


@dataclass
class AsgiServer:
    url: str
    app: Any
    auth: dict[str, str]


@pytest.fixture
def asgi_app(tmp_path: Path) -> Any:
    return create_app(Settings.load(
        {"db": f"sqlite:///{tmp_path / 'asgi.db'}", "base_url": "http://127.0.0.1", "heartbeat": 1.0}, environ={}
    ))


@pytest.fixture
def uvicorn_url(asgi_app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(asgi_app, http="h11", lifespan="on", log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(TIMEOUT)
        sock.close()


@pytest.fixture
async def asgi_server(asgi_app: Any, uvicorn_url: str) -> AsgiServer:
    newsroom = asgi_app.state.newsroom  # started by the lifespan; storage calls work from any loop
    user = await newsroom.add_user("ed", "editor", "correct horse battery staple")
    token = await newsroom.create_token(user, "tests")
    return AsgiServer(uvicorn_url, asgi_app, {"Authorization": f"Bearer {token}"})


class HttpxStream:
    """An SSE stream read through httpx (which undoes chunked transfer encoding)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.response: httpx.Response | None = None

    async def open(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, EventStream]:
        request = self.client.build_request("GET", path, headers={"Accept": "text/event-stream", **(headers or {})})
        self.response = await self.client.send(request, stream=True)
        chunks = self.response.aiter_raw()

        async def read() -> bytes:
            try:
                return await chunks.__anext__()
            except StopAsyncIteration:
                return b""

        async def close() -> None:
            await self.response.aclose()  # type: ignore[union-attr]

        return self.response.status_code, EventStream(read, close)


# Regressions: the endpoint was once a plain function, which starlette's Route() called as
# `endpoint(request)` (a 500 on every stream), and it took the request's first ASGI message for a disconnect
# (the stream ended right after "retry:").


async def test_asgi_stream_delivers_a_published_entry(asgi_server: AsgiServer) -> None:
    async with httpx.AsyncClient(base_url=asgi_server.url, headers=asgi_server.auth, timeout=TIMEOUT) as client:
        desk = Desk(client)
        await desk.create_blog("storm")
        status, stream = await HttpxStream(client).open("/live/storm/events")
        try:
            assert status == 200
            await stream.ready()
            entry = await desk.publish("storm", "Under plain uvicorn")
            message = await stream.message()
            assert (message.data["kind"], message.data["code"]) == ("entry.published", entry["code"])
            assert "Under plain uvicorn" in message.data["html"]
        finally:
            await stream.close()


async def test_asgi_stream_resumes_with_last_event_id(asgi_server: AsgiServer) -> None:
    async with httpx.AsyncClient(base_url=asgi_server.url, headers=asgi_server.auth, timeout=TIMEOUT) as client:
        desk = Desk(client)
        await desk.create_blog("storm")
        last = await desk.last_event_id("storm")
        missed = [(await desk.publish("storm", f"Missed {i}"))["code"] for i in range(3)]
        status, stream = await HttpxStream(client).open("/live/storm/events", {"Last-Event-ID": str(last)})
        try:
            assert status == 200
            replay = await stream.ready()
            assert [m.data["code"] for m in replay] == missed
            assert [m.id for m in replay] == [last + 1, last + 2, last + 3]
            entry = await desk.publish("storm", "Live after resume")
            message = await stream.message()
            assert (message.id, message.data["code"]) == (last + 4, entry["code"])
        finally:
            await stream.close()


async def test_asgi_stream_of_an_unknown_blog_is_404(asgi_server: AsgiServer) -> None:
    async with httpx.AsyncClient(base_url=asgi_server.url, timeout=TIMEOUT) as client:
        assert (await client.get("/live/no-such-blog/events")).status_code == 404
