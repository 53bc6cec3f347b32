-- The first schema: users, tokens, blogs, entries, revisions, short codes and the event log.
-- AUTOINCREMENT: an id is never reused, so revisions of a deleted entry never meet a new entry.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);

CREATE TABLE blogs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'en',
    sections TEXT NOT NULL DEFAULT '[]',
    lead_image TEXT,
    status TEXT NOT NULL DEFAULT 'live',
    publisher TEXT NOT NULL DEFAULT '',
    published_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    ended_at TEXT,
    key_points TEXT NOT NULL DEFAULT '[]',
    key_points_updated_at TEXT,
    last_event_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    blog_id INTEGER NOT NULL REFERENCES blogs(id) ON DELETE CASCADE,
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    blocks TEXT NOT NULL,
    status TEXT NOT NULL,
    key_event INTEGER NOT NULL DEFAULT 0,
    pinned INTEGER NOT NULL DEFAULT 0,
    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    author_name TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    published_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- The reader page's query: a blog's published entries, newest first, a page at a time.
CREATE INDEX entries_timeline ON entries (blog_id, status, published_at DESC, id DESC);

CREATE TABLE revisions (
    entry_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    author_id INTEGER,
    author_name TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (entry_id, version)
);

-- Every short code ever given out, so a code is never reused and old links keep resolving.
CREATE TABLE short_codes (
    code TEXT PRIMARY KEY,
    blog_id INTEGER NOT NULL REFERENCES blogs(id) ON DELETE CASCADE,
    entry_code TEXT
);

CREATE TABLE events (
    blog_id INTEGER NOT NULL REFERENCES blogs(id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    entry_code TEXT,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (blog_id, id)
);
