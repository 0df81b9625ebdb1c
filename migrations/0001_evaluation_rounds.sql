-- Evaluation rounds: the instrument each round was opened with, the rounds, one form per region
-- and round, its answers and their verification, evidence, the audit trail, and the masterplan
-- register. Portable SQL for SQLite and PostgreSQL alike (see src/db/mod.rs): TEXT, BIGINT and
-- DOUBLE PRECISION only, timestamps as UTC RFC 3339 text (which sorts as time does), ids given
-- by the application, flags as 0/1.

CREATE TABLE instruments (
    sha256 TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    version TEXT NOT NULL,
    file_name TEXT NOT NULL,
    source TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);

CREATE TABLE rounds (
    id BIGINT PRIMARY KEY,
    year BIGINT NOT NULL,
    title TEXT NOT NULL,
    instrument_sha256 TEXT NOT NULL REFERENCES instruments (sha256),
    deadline TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL
);

CREATE TABLE forms (
    round_id BIGINT NOT NULL REFERENCES rounds (id),
    region TEXT NOT NULL,
    evaluator TEXT,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    returned BIGINT NOT NULL,
    return_note TEXT,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    submitted_at TEXT,
    finalised_at TEXT,
    finalised_by TEXT,
    PRIMARY KEY (round_id, region)
);

CREATE INDEX forms_evaluator ON forms (evaluator);

CREATE TABLE answers (
    round_id BIGINT NOT NULL,
    region TEXT NOT NULL,
    item TEXT NOT NULL,
    value TEXT,
    note TEXT,
    verified_value TEXT,
    verification TEXT,
    verifier_note TEXT,
    PRIMARY KEY (round_id, region, item),
    FOREIGN KEY (round_id, region) REFERENCES forms (round_id, region)
);

CREATE TABLE evidence (
    id TEXT PRIMARY KEY,
    round_id BIGINT NOT NULL,
    region TEXT NOT NULL,
    item TEXT NOT NULL,
    kind TEXT NOT NULL,
    sha256 TEXT,
    file_name TEXT,
    media_type TEXT,
    size_bytes BIGINT,
    url TEXT,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    FOREIGN KEY (round_id, region) REFERENCES forms (round_id, region)
);

CREATE INDEX evidence_form ON evidence (round_id, region);

CREATE TABLE audit (
    round_id BIGINT NOT NULL,
    region TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    item TEXT,
    field TEXT,
    old_value TEXT,
    new_value TEXT,
    PRIMARY KEY (round_id, region, seq),
    FOREIGN KEY (round_id, region) REFERENCES forms (round_id, region)
);

CREATE TABLE masterplan (
    id BIGINT PRIMARY KEY,
    region TEXT NOT NULL,
    programme TEXT NOT NULL,
    pillar TEXT NOT NULL,
    planned_year BIGINT NOT NULL,
    budget_idr DOUBLE PRECISION,
    opd TEXT NOT NULL,
    status TEXT NOT NULL,
    quick_win BIGINT NOT NULL,
    activity_programmes TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX masterplan_region ON masterplan (region);
