-- The graph's event journal and the shards' snapshots. Payloads are FlatBuffers (vf.Envelope
-- carrying a vf.GraphUpdate), never JSON. `unit` is the commit unit (one client command or one
-- snapshot) and orders the units of a shard; `at_ms` is the commit time, non-decreasing with seq.
CREATE TABLE graph_events (
  seq     bigint   PRIMARY KEY,
  unit    bigint   NOT NULL,
  shard   integer  NOT NULL,
  kind    smallint NOT NULL,
  entity  bigint   NOT NULL,
  at_ms   bigint   NOT NULL,
  payload bytea    NOT NULL
);
CREATE INDEX graph_events_shard_unit ON graph_events (shard, unit, seq);

-- A snapshot holds a shard's registers after every unit up to `unit_upto`.
CREATE TABLE graph_snapshots (
  shard     integer NOT NULL,
  unit      bigint  NOT NULL,
  unit_upto bigint  NOT NULL,
  at_ms     bigint  NOT NULL,
  entries   integer NOT NULL,
  body      bytea   NOT NULL,
  PRIMARY KEY (shard, unit)
);

CREATE TABLE graph_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
