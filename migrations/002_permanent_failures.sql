-- Deliveries the dead-letter retry actor gave up on. A binary message is kept as it was; anything
-- else as bounded JSON text (refs as their paths).
CREATE TABLE permanent_failures (
  id             bigserial PRIMARY KEY,
  recipient      text     NOT NULL,
  sender         text,
  reason         text     NOT NULL,
  last_result    text     NOT NULL,
  attempts       integer  NOT NULL,
  correlation_id bigint,
  letter_time    double precision NOT NULL,
  failed_time    double precision NOT NULL,
  message_bytes  bytea,
  message_text   text,
  recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX permanent_failures_recipient ON permanent_failures (recipient, id);
