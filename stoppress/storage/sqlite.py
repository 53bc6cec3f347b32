"""SQLite storage, the embedded default: WAL mode, one writer thread, reads on a small thread pool.

Writes go through one dedicated thread fed by a queue, each as one `BEGIN IMMEDIATE` transaction, so
concurrent writers never see "database is locked" and a caller is answered only after COMMIT (with
`synchronous=FULL`, an acknowledged write survives a crash or `kill -9`).
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from stoppress.core.errors import Conflict
from stoppress.core.models import Blog, Entry, EntryStatus, Event, KeyPoints, Media, NewEvent, Revision, User
from stoppress.storage import rows
from stoppress.storage.base import EntryPage, Session, Storage, TokenInfo

T = TypeVar("T")


def path_from_url(url: str) -> str:
    """`sqlite:///relative.db`, `sqlite:////abs/path.db` or a bare path -> a filesystem path."""
    if url.startswith("sqlite://"):
        url = url[len("sqlite://") :]
        if url.startswith("/"):
            url = url[1:]
    return url or "stoppress.db"


class SQLiteStorage(Storage):
    def __init__(self, url: str) -> None:
        self.path = path_from_url(url)
        self._local = threading.local()
        self._readers: ThreadPoolExecutor | None = None
        self._writes: queue.Queue[tuple[Callable[[sqlite3.Connection], Any], Future[Any]] | None] = queue.Queue()
        self._writer: threading.Thread | None = None

    # Connections and threads

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    async def startup(self) -> None:
        if self._writer is not None:
            return
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        conn.execute("PRAGMA journal_mode = WAL")
        migrate(conn)
        conn.close()
        self._readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sqlite-read")
        self._writer = threading.Thread(target=self._write_loop, name="sqlite-write", daemon=True)
        self._writer.start()

    async def shutdown(self) -> None:
        if self._writer is None:
            return
        self._writes.put(None)
        await asyncio.to_thread(self._writer.join)
        self._writer = None
        if self._readers:
            self._readers.shutdown(wait=True)
            self._readers = None

    def _write_loop(self) -> None:
        conn = self._connect()
        while (task := self._writes.get()) is not None:
            fn, future = task
            try:
                conn.execute("BEGIN IMMEDIATE")
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                future.set_exception(exc)
            else:
                future.set_result(result)
        conn.close()

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._writer is None:
            raise RuntimeError("SQLiteStorage used before startup(); did you forget to call it?")
        future: Future[T] = Future()
        self._writes.put((fn, future))
        return await asyncio.wrap_future(future)

    def _reader_conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._readers is None:
            raise RuntimeError("SQLiteStorage used before startup(); did you forget to call it?")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, lambda: fn(self._reader_conn()))

    async def _one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return await self._read(lambda c: c.execute(sql, params).fetchone())

    async def _all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return await self._read(lambda c: c.execute(sql, params).fetchall())

    # Users and tokens

    async def add_user(self, user: User) -> User:
        def write(c: sqlite3.Connection) -> int:
            try:
                cur = c.execute(
                    "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                    (user.name, str(user.role), user.password_hash, rows.ts(user.created_at)),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"A user named {user.name!r} already exists; pick another name.") from None
            return int(cur.lastrowid or 0)

        user.id = await self._write(write)
        return user

    async def update_user(self, user: User) -> None:
        await self._write(
            lambda c: c.execute(
                "UPDATE users SET role = ?, password_hash = ? WHERE id = ?",
                (str(user.role), user.password_hash, user.id),
            )
        )

    async def get_user(self, name: str) -> User | None:
        row = await self._one("SELECT * FROM users WHERE name = ?", (name,))
        return rows.user(row) if row else None

    async def list_users(self) -> list[User]:
        return [rows.user(r) for r in await self._all("SELECT * FROM users ORDER BY name")]

    async def add_token(self, user_id: int, name: str, token_hash: str, created_at: datetime) -> None:
        await self._write(
            lambda c: c.execute(
                "INSERT INTO tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
                (user_id, name, token_hash, rows.ts(created_at)),
            )
        )

    async def user_for_token(self, token_hash: str) -> User | None:
        row = await self._one(
            "SELECT users.* FROM tokens JOIN users ON users.id = tokens.user_id WHERE token_hash = ?",
            (token_hash,),
        )
        return rows.user(row) if row else None

    async def list_tokens(self, user_id: int) -> list[TokenInfo]:
        found = await self._all("SELECT * FROM tokens WHERE user_id = ? ORDER BY id DESC", (user_id,))
        return [TokenInfo(r["id"], r["name"], rows.dt(r["created_at"]), rows.dt(r["last_used_at"])) for r in found]  # type: ignore[arg-type]

    async def revoke_token(self, user_id: int, token_id: int) -> bool:
        def write(c: sqlite3.Connection) -> bool:
            return c.execute("DELETE FROM tokens WHERE id = ? AND user_id = ?", (token_id, user_id)).rowcount == 1

        return await self._write(write)

    async def delete_user(self, user_id: int) -> None:
        await self._write(lambda c: c.execute("DELETE FROM users WHERE id = ?", (user_id,)))

    # Sessions and setup

    async def add_session(self, token_hash: str, user_id: int, csrf: str, created_at: datetime, expires_at: datetime) -> None:
        await self._write(
            lambda c: c.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                (token_hash, user_id, csrf, rows.ts(created_at), rows.ts(expires_at)),
            )
        )

    async def get_session(self, token_hash: str, now: datetime) -> Session | None:
        row = await self._one(
            "SELECT users.*, sessions.csrf, sessions.expires_at AS session_expires FROM sessions"
            " JOIN users ON users.id = sessions.user_id WHERE token_hash = ? AND expires_at > ?",
            (token_hash, rows.ts(now)),
        )
        return Session(rows.user(row), row["csrf"], rows.dt(row["session_expires"])) if row else None  # type: ignore[arg-type]

    async def delete_sessions(self, *, token_hash: str | None = None, user_id: int | None = None) -> None:
        if token_hash is not None:
            await self._write(lambda c: c.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,)))
        if user_id is not None:
            await self._write(lambda c: c.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)))

    async def add_setup_token(self, token_hash: str, created_at: datetime) -> None:
        await self._write(
            lambda c: c.execute("INSERT INTO setup_tokens VALUES (?, ?)", (token_hash, rows.ts(created_at)))
        )

    async def create_first_admin(self, token_hash: str, user: User) -> User | None:
        def write(c: sqlite3.Connection) -> int | None:
            known = c.execute("SELECT 1 FROM setup_tokens WHERE token_hash = ?", (token_hash,)).fetchone()
            if not known or c.execute("SELECT 1 FROM users LIMIT 1").fetchone():
                return None
            cur = c.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                (user.name, str(user.role), user.password_hash, rows.ts(user.created_at)),
            )
            c.execute("DELETE FROM setup_tokens")
            return int(cur.lastrowid or 0)

        user.id = await self._write(write)
        return user if user.id else None

    # Media

    async def add_media(self, media: Media) -> Media:
        def write(c: sqlite3.Connection) -> int:
            cur = c.execute(
                "INSERT INTO media (name, width, height, renditions, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (media.name, media.width, media.height, rows.dumps(media.renditions), media.uploaded_by,
                 rows.ts(media.created_at)),
            )
            return int(cur.lastrowid or 0)

        media.id = await self._write(write)
        return media

    async def get_media(self, name: str) -> Media | None:
        row = await self._one("SELECT * FROM media WHERE name = ?", (name,))
        return rows.media(row) if row else None

    # Blogs

    async def create_blog(self, blog: Blog, event: NewEvent) -> tuple[Blog, Event]:
        values = rows.blog_values(blog)

        def write(c: sqlite3.Connection) -> tuple[int, Event]:
            if c.execute("SELECT 1 FROM blogs WHERE slug = ?", (blog.slug,)).fetchone():
                raise Conflict(f"A blog with the slug {blog.slug!r} already exists; choose another slug.", field="slug")
            if c.execute("SELECT 1 FROM short_codes WHERE code = ?", (blog.code,)).fetchone():
                raise Conflict(f"The short code {blog.code!r} is already in use.", field="code")
            cols = ", ".join(values)
            cur = c.execute(f"INSERT INTO blogs ({cols}) VALUES ({', '.join(':' + k for k in values)})", values)
            blog_id = int(cur.lastrowid or 0)
            c.execute("INSERT INTO short_codes (code, blog_id) VALUES (?, ?)", (blog.code, blog_id))
            return blog_id, _append_event(c, blog_id, event)

        blog.id, recorded = await self._write(write)
        blog.last_event_id = recorded.id
        return blog, recorded

    async def update_blog(self, blog: Blog, event: NewEvent) -> Event:
        values = rows.blog_values(blog)
        del values["key_points"], values["key_points_updated_at"], values["code"]

        def write(c: sqlite3.Connection) -> Event:
            try:
                c.execute(
                    f"UPDATE blogs SET {', '.join(f'{k} = :{k}' for k in values)} WHERE id = :id",
                    {**values, "id": blog.id},
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"A blog with the slug {blog.slug!r} already exists; choose another slug.", field="slug") from None
            return _append_event(c, blog.id or 0, event)

        return await self._write(write)

    async def set_key_points(self, blog_id: int, key_points: KeyPoints, event: NewEvent) -> Event:
        def write(c: sqlite3.Connection) -> Event:
            c.execute(
                "UPDATE blogs SET key_points = ?, key_points_updated_at = ?, updated_at = ? WHERE id = ?",
                (rows.dumps(key_points.items), rows.ts(key_points.updated_at), rows.ts(key_points.updated_at), blog_id),
            )
            return _append_event(c, blog_id, event)

        return await self._write(write)

    async def get_blog(self, slug: str) -> Blog | None:
        row = await self._one("SELECT * FROM blogs WHERE slug = ?", (slug,))
        return rows.blog(row) if row else None

    async def get_blog_by_id(self, blog_id: int) -> Blog | None:
        row = await self._one("SELECT * FROM blogs WHERE id = ?", (blog_id,))
        return rows.blog(row) if row else None

    async def list_blogs(self) -> list[Blog]:
        return [rows.blog(r) for r in await self._all("SELECT * FROM blogs ORDER BY updated_at DESC, id DESC")]

    # Entries

    async def save_entry(
        self, entry: Entry, revision: Revision | None, event: NewEvent, expected_version: int | None
    ) -> tuple[Entry, Event]:
        values = rows.entry_values(entry)

        def write(c: sqlite3.Connection) -> tuple[int, Event]:
            if expected_version is None:
                if c.execute("SELECT 1 FROM short_codes WHERE code = ?", (entry.code,)).fetchone():
                    raise Conflict(f"The short code {entry.code!r} is already in use.", field="code")
                cols = ", ".join(values)
                cur = c.execute(f"INSERT INTO entries ({cols}) VALUES ({', '.join(':' + k for k in values)})", values)
                entry_id = int(cur.lastrowid or 0)
                c.execute(
                    "INSERT INTO short_codes (code, blog_id, entry_code) VALUES (?, ?, ?)",
                    (entry.code, entry.blog_id, entry.code),
                )
            else:
                entry_id = entry.id or 0
                cur = c.execute(
                    f"UPDATE entries SET {', '.join(f'{k} = :{k}' for k in values)} WHERE id = :id AND version = :expected",
                    {**values, "id": entry_id, "expected": expected_version},
                )
                if cur.rowcount != 1:
                    row = c.execute("SELECT * FROM entries WHERE id = ?", (entry_id,)).fetchone()
                    current = rows.entry(row) if row else None
                    raise Conflict(
                        "This entry was changed by someone else since you loaded it "
                        f"(now version {current.version if current else '?'}); reload it and apply your change again.",
                        current=current,
                    )
            if revision is not None:
                revision.entry_id = entry_id
                c.execute(
                    "INSERT INTO revisions (entry_id, version, author_id, author_name, created_at, snapshot)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (entry_id, revision.version, revision.author_id, revision.author_name,
                     rows.ts(revision.created_at), rows.dumps(revision.snapshot)),
                )
            return entry_id, _append_event(c, entry.blog_id, event)

        entry.id, recorded = await self._write(write)
        return entry, recorded

    async def delete_entry(self, entry: Entry, event: NewEvent) -> Event:
        def write(c: sqlite3.Connection) -> Event:
            c.execute("DELETE FROM entries WHERE id = ?", (entry.id,))
            return _append_event(c, entry.blog_id, event)

        return await self._write(write)

    async def get_entry(self, blog_id: int, code: str) -> Entry | None:
        row = await self._one("SELECT * FROM entries WHERE blog_id = ? AND code = ?", (blog_id, code))
        return rows.entry(row) if row else None

    async def list_entries(
        self,
        blog_id: int,
        *,
        statuses: tuple[EntryStatus, ...] = (EntryStatus.PUBLISHED,),
        offset: int = 0,
        limit: int = 20,
        pinned_only: bool = False,
        key_events_only: bool = False,
    ) -> EntryPage:
        where = f"blog_id = ? AND status IN ({', '.join('?' * len(statuses))})"
        params: list[Any] = [blog_id, *map(str, statuses)]
        if pinned_only:
            where += " AND pinned = 1"
        if key_events_only:
            where += " AND key_event = 1"

        def read(c: sqlite3.Connection) -> EntryPage:
            found = c.execute(
                f"SELECT * FROM entries WHERE {where} ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
            total = c.execute(f"SELECT count(*) FROM entries WHERE {where}", params).fetchone()[0]
            return EntryPage([rows.entry(r) for r in found], total)

        return await self._read(read)

    async def due_entries(self, now: datetime) -> list[Entry]:
        found = await self._all(
            "SELECT * FROM entries WHERE status = 'scheduled' AND publish_at IS NOT NULL AND publish_at <= ?"
            " ORDER BY publish_at, id",
            (rows.ts(now),),
        )
        return [rows.entry(r) for r in found]

    async def count_newer(self, entry: Entry) -> int:
        row = await self._one(
            "SELECT count(*) FROM entries WHERE blog_id = ? AND status = 'published'"
            " AND (published_at > ? OR (published_at = ? AND id > ?))",
            (entry.blog_id, rows.ts(entry.published_at), rows.ts(entry.published_at), entry.id),
        )
        return int(row[0]) if row else 0

    async def list_revisions(self, entry_id: int) -> list[Revision]:
        found = await self._all("SELECT * FROM revisions WHERE entry_id = ? ORDER BY version", (entry_id,))
        return [rows.revision(r) for r in found]

    # Short links and events

    async def resolve_code(self, code: str) -> tuple[str, str | None] | None:
        row = await self._one(
            "SELECT blogs.slug, short_codes.entry_code FROM short_codes JOIN blogs ON blogs.id = short_codes.blog_id"
            " WHERE short_codes.code = ?",
            (code,),
        )
        return (row[0], row[1]) if row else None

    async def code_taken(self, code: str) -> bool:
        return await self._one("SELECT 1 FROM short_codes WHERE code = ?", (code,)) is not None

    async def events_after(self, blog_id: int, after: int, limit: int = 500) -> list[Event]:
        found = await self._all(
            "SELECT * FROM events WHERE blog_id = ? AND id > ? ORDER BY id LIMIT ?", (blog_id, after, limit)
        )
        return [rows.event(r) for r in found]


def _now() -> datetime:
    return datetime.now(UTC)


def _append_event(c: sqlite3.Connection, blog_id: int, event: NewEvent) -> Event:
    """Record an event inside the caller's transaction, numbered after the blog's last one.

    A change readers see also moves the blog's "last updated" time.
    """
    created = event.at or _now()
    (event_id,) = c.execute(
        "UPDATE blogs SET last_event_id = last_event_id + 1,"
        " updated_at = CASE WHEN ? AND ? > updated_at THEN ? ELSE updated_at END WHERE id = ? RETURNING last_event_id",
        (event.public and event.kind.startswith("entry."), rows.ts(created), rows.ts(created), blog_id),
    ).fetchone()
    c.execute(
        "INSERT INTO events (blog_id, id, kind, entry_code, data, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (blog_id, event_id, str(event.kind), event.entry_code, rows.dumps(event.data), rows.ts(created)),
    )
    return Event(blog_id, event_id, event.kind, event.entry_code, event.data, created)


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the migrations this database has not seen yet, each in its own transaction."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
    folder = resources.files("stoppress.storage") / "migrations" / "sqlite"
    applied = []
    for script in sorted((p for p in folder.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name):
        if script.name in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.read_text(encoding="utf-8").split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (script.name, rows.ts(_now())))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(script.name)
    return applied
