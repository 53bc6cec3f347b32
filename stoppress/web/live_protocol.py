"""uvicorn's HTTP protocol with the live stream served straight from the socket.

For `GET /live/{slug}/events` the connection is handed to the hub, which writes the once-encoded event
bytes to its transport directly; no ASGI task stays behind per reader. Every other request goes through
the ASGI app as usual. `stoppress serve` uses this protocol; any ASGI server can still run the app, whose
own `/live/{slug}/events` route serves the same stream the portable way.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from stoppress.core.errors import NotFound
from stoppress.web.stream import RESPONSE_HEAD, Hub, parse_after

EVENTS_PATH = re.compile(r"^/live/([a-z0-9]+(?:-[a-z0-9]+)*)/events$")

NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s"
)


class LiveHttpProtocol(HttpToolsProtocol):
    hub: Hub | None = None  # given by bind()
    _live = False

    def on_headers_complete(self) -> None:
        hub = type(self).hub
        if hub is None or self.parser.get_method() != b"GET" or (self.cycle and not self.cycle.response_complete):
            return super().on_headers_complete()
        parsed = httptools.parse_url(self.url)
        match = EVENTS_PATH.match(unquote(parsed.path.decode("ascii", "replace")))
        if not match:
            return super().on_headers_complete()
        self._live = True
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        headers = dict(self.headers)
        query = parse_qs((parsed.query or b"").decode("ascii", "replace"))
        after = parse_after(
            headers.get(b"last-event-id", b"").decode("ascii", "replace"), (query.get("after") or [""])[0]
        )
        task = self.loop.create_task(self._open(hub, match.group(1), after))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _open(self, hub: Hub, slug: str, after: int | None) -> None:
        transport = self.transport
        try:
            await hub.open(slug, after, lambda: transport.write(RESPONSE_HEAD), transport)
        except NotFound as exc:
            body = exc.message.encode()
            transport.write(NOT_FOUND % (len(body), body))
            transport.close()
        except Exception:  # noqa: BLE001 - never leave a half-open stream behind
            self.logger.exception("could not open a live stream")
            transport.abort()

    def on_body(self, body: bytes) -> None:
        if not self._live:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._live:
            super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        if not self._live:  # a stream takes no more requests on its connection
            super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._live and type(self).hub is not None:
            type(self).hub.close(self.transport)  # type: ignore[union-attr]
        super().connection_lost(exc)

    def shutdown(self) -> None:
        if self._live:
            self.transport.close()
        else:
            super().shutdown()


def bind(hub: Hub) -> type[LiveHttpProtocol]:
    """The protocol class for uvicorn's `http=` option, serving this hub's streams."""
    return type("BoundLiveHttpProtocol", (LiveHttpProtocol,), {"hub": hub})
