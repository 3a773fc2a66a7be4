-- Paddock keeper member database, schema version 1 (PRAGMA user_version = 1).
-- One file per member: <dataDir>/paddock-keeper.db, WAL mode, synchronous=FULL.
-- application_id 0x50444b31 ('PDK1') marks the file as Paddock's; any other file is refused.
--
-- Durability contract: a transaction is acknowledged to its client only after the SQLite
-- transaction holding its log row has committed. Tree rows are written in the same group commit
-- as later log rows, with meta.applied_index telling how far they reflect the log; a restart
-- loads the rows and replays the log after applied_index.

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
-- keys: applied_index, applied_term, applied_zxid (how far the znodes/sessions rows reflect
-- the log); hs_term, hs_vote, hs_commit (the consensus hard state: current term, vote cast in
-- it, commit index)

-- The consensus log: one row per entry; entry is Paddock's txn record (Sources/ZNodeTree/
-- Txn+Codec.swift), empty for the no-op a new leader appends; zxid is copied out of it.
CREATE TABLE IF NOT EXISTS log (
    idx   INTEGER PRIMARY KEY,
    term  INTEGER NOT NULL,
    zxid  INTEGER NOT NULL,
    entry BLOB    NOT NULL
);

-- The materialized tree as of meta.applied_index. acl is one "perms scheme:id" per line, with
-- backslash escaping "\\", newline and carriage return inside the id (and ":" in the scheme).
CREATE TABLE IF NOT EXISTS znodes (
    path            TEXT PRIMARY KEY,
    data            BLOB,
    acl             TEXT    NOT NULL,
    czxid           INTEGER NOT NULL,
    mzxid           INTEGER NOT NULL,
    ctime           INTEGER NOT NULL,
    mtime           INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    cversion        INTEGER NOT NULL,
    aversion        INTEGER NOT NULL,
    ephemeral_owner INTEGER NOT NULL,
    pzxid           INTEGER NOT NULL
) WITHOUT ROWID;

-- Live sessions as of meta.applied_index; owner is the member (server.N) holding the session's
-- client connection (requests for it through any other member fail with SESSIONMOVED).
CREATE TABLE IF NOT EXISTS sessions (
    id       INTEGER PRIMARY KEY,
    timeout  INTEGER NOT NULL,
    password BLOB    NOT NULL,
    owner    INTEGER NOT NULL
);
