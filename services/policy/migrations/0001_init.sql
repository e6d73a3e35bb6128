-- The policy service's tables. Tool calls are decided once each (keyed by call_id), calls are counted
-- per run for max_tool_calls, and the events a decision causes leave through the outbox in the same
-- transaction as the decision.

-- One row per decided call. The row is claimed (inserted) first in the deciding transaction, and the
-- decision columns are filled in before that transaction commits: a committed row is always complete.
-- A redelivered call finds its row and is neither counted nor decided again.
create table policy.decisions (
  call_id text primary key,
  event_id text not null,                -- the airlock.tool_call.requested that asked
  run_id text not null,
  agent_id text not null,
  action text check (action in ('allow', 'deny', 'escalate', 'audit')),
  rule text,
  policy_name text,
  policy_version text,
  run_calls bigint,                      -- the run's call count this call made (max_tool_calls)
  decided_event_id text,                 -- the airlock.policy.decided it caused
  decision jsonb,                        -- that event's data
  decided_at timestamptz not null default now()
);

create index decisions_run_id on policy.decisions (run_id);

-- Calls per run_id. Incremented with an atomic upsert, so instances deciding calls of one run in
-- parallel each get their own count.
create table policy.run_counters (
  run_id text primary key,
  calls bigint not null,
  first_call_at timestamptz not null default now(),
  last_call_at timestamptz not null default now()
);

-- The transactional outbox (see @airlock/shared outbox): relayed to the broker after commit.
create table policy.outbox (
  id bigserial primary key,
  topic text not null,
  key text not null,
  event jsonb not null,
  created_at timestamptz not null default now()
);
