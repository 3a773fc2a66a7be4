-- Paddock keeper member database, schema version 2 (PRAGMA user_version = 2): the checkpointed
-- tree. One file per member: <dataDir>/paddock-keeper.db, WAL mode, synchronous=FULL.
-- application_id 0x50444b31 ('PDK1') marks the file as Paddock's; any other file is refused.
-- Its log is the other file, <dataDir>/paddock-log.db (Schemas/keeper-log.sql). Version 1 held
-- the log and hard state here; a member opening one moves them into paddock-log.db.
--
-- Durability contract: a transaction is acknowledged to its client only after the log file's
-- SQLite transaction holding its log row has committed. Tree rows are written by checkpoints
-- beside the log (paddock.treeFlushMs), with meta.applied_index telling how far they reflect the
-- log; a restart loads the rows and replays the log after applied_index. Log rows are dropped
-- only once a checkpoint covering them is durable.

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
-- keys: applied_index, applied_term, applied_zxid (how far the znodes/sessions rows reflect
-- the log); znode_count (the tree's size at that mark: a restart sizes its tables from it)

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
