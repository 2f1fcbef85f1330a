-- Sessions of `runbook run`/`rehearse` kept in a shared PostgreSQL database (issue 15).
-- The lines are the journal's lines, byte for byte: the same hash chain is checked for both.

CREATE TABLE IF NOT EXISTS runbook_sessions (
    id            TEXT PRIMARY KEY,
    -- The `session` event's JSON (the first line), kept whole for readers.
    header        JSONB NOT NULL,
    mode          TEXT NOT NULL,
    runbook       TEXT NOT NULL,
    -- The runbook's Markdown as the session started, so a follower elsewhere can draw it.
    runbook_text  TEXT,
    runbook_title TEXT,
    entry         TEXT,
    last_step     TEXT,
    -- finished / aborted / needs-answer once an `end` was written; NULL while not ended.
    end_status    TEXT,
    -- The head: the last event appended. A cut tail (its rows deleted) no longer reaches it.
    head_seq      BIGINT NOT NULL DEFAULT 0,
    head_hash     TEXT NOT NULL,
    created       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS runbook_session_events (
    session_id TEXT NOT NULL REFERENCES runbook_sessions (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    -- The journal line exactly as a file holds it (without the newline).
    line       TEXT NOT NULL,
    prev       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);

-- One driver per session: the row is the lease (absent: nobody drives).
CREATE TABLE IF NOT EXISTS runbook_session_leases (
    session_id TEXT PRIMARY KEY REFERENCES runbook_sessions (id) ON DELETE CASCADE,
    holder     TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        BIGINT NOT NULL,
    expires    TIMESTAMPTZ NOT NULL
);

CREATE INDEX IF NOT EXISTS runbook_sessions_by_update ON runbook_sessions (updated DESC);

-- Followers may LISTEN instead of polling: `SESSION_ID:SEQ` on every event appended.
CREATE OR REPLACE FUNCTION runbook_session_event_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('runbook_session_events', NEW.session_id || ':' || NEW.seq);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS runbook_session_event_notify ON runbook_session_events;
CREATE TRIGGER runbook_session_event_notify AFTER INSERT ON runbook_session_events
    FOR EACH ROW EXECUTE FUNCTION runbook_session_event_notify();
