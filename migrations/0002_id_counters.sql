-- Ids of rounds and masterplan entries come from the database: one counter row per table,
-- moved with UPDATE … RETURNING inside the transaction that inserts. On PostgreSQL the row's
-- lock makes a second admin opening a round at the same moment wait for the first to commit and
-- then take the next number, where reading MAX(id) + 1 gave both the same id; on SQLite writers
-- queue anyway. Portable SQL like 0001: no SERIAL or AUTOINCREMENT, which differ between the two.

CREATE TABLE id_counters (
    name TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL
);

INSERT INTO id_counters (name, last_id) SELECT 'rounds', COALESCE(MAX(id), 0) FROM rounds;
INSERT INTO id_counters (name, last_id) SELECT 'masterplan', COALESCE(MAX(id), 0) FROM masterplan;
