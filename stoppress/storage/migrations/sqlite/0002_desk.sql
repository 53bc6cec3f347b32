-- The desk: a blog's time zone, correction and review notes on entries, scheduled publication,
-- sign-in sessions, the one-time setup link, and uploaded images.
ALTER TABLE blogs ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE entries ADD COLUMN correction TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN publish_at TEXT;
CREATE INDEX entries_due ON entries (status, publish_at) WHERE publish_at IS NOT NULL;

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);

CREATE TABLE media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    renditions TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
