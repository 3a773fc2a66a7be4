-- Paddock keeper member log, schema version 1 (PRAGMA user_version = 1).
-- One file per member: <dataDir>/paddock-log.db, WAL mode, synchronous=FULL, beside
-- paddock-keeper.db (Schemas/keeper.sql). application_id 0x50444c31 ('PDL1').
--
-- Every group commit is one transaction here: the new log rows and the hard state. Nothing else
-- is written in front of it.

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
-- keys: hs_term, hs_vote, hs_commit (the consensus hard state: current term, vote cast in it,
-- commit index)

-- The consensus log: one row per entry; entry is Paddock's txn record (Sources/ZNodeTree/
-- Txn+Codec.swift), empty for the no-op a new leader appends; zxid is copied out of it.
CREATE TABLE IF NOT EXISTS log (
    idx   INTEGER PRIMARY KEY,
    term  INTEGER NOT NULL,
    zxid  INTEGER NOT NULL,
    entry BLOB    NOT NULL
);
