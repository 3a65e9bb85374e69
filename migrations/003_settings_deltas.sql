-- Settings deltas {path, old, new, timestamp, client}: the payload is a FlatBuffers vf.Envelope
-- carrying a vf.SettingsDelta; path, stamp, client and the tree version are columns to query by.
CREATE TABLE settings_deltas (
  id          bigserial PRIMARY KEY,
  path        text     NOT NULL,
  client      text     NOT NULL,
  hlc_wall    bigint   NOT NULL,
  hlc_logical bigint   NOT NULL,
  hlc_node    bigint   NOT NULL,
  version     bigint   NOT NULL DEFAULT 0,
  payload     bytea    NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX settings_deltas_path ON settings_deltas (path, id);
