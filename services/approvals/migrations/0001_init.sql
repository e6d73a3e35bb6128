-- The approvals service's state (DESIGN.md, "Approval rules"). Every name is qualified with the schema;
-- migrate() creates the schema and keeps its ledger in approvals.migrations.

-- One request per escalated call (call_id unique: a redelivered or repeated policy.decided opens nothing new).
create table approvals.requests (
  id text primary key,
  call_id text not null unique,
  agent_id text not null,
  run_id text not null,
  tool text not null,
  args jsonb not null,
  action_digest text not null,
  -- context.user of the call: never counts towards its own quorum.
  requester text,
  rule text,
  reason text not null,
  policy jsonb not null,
  -- The resolved requirement of policy.decided: pool, reviewers, quorum, veto, confirm_by_requester, timeout_ms, on_timeout.
  requirement jsonb not null,
  -- Where the call's verdict.final goes; null means airlock.verdicts.
  reply_to text,
  state text not null default 'pending'
    check (state in ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
  -- When the policy decided (the decision event's time): verdict latency is measured from here.
  decided_at timestamptz not null,
  opened_at timestamptz not null,
  expires_at timestamptz not null,
  resolved_at timestamptz,
  resolution_reason text,
  allowed boolean,
  decided_by text check (decided_by in ('approval', 'timeout')),
  check ((state = 'pending') = (resolved_at is null))
);

-- The sweeper's query: pending requests by expiry.
create index requests_pending_expiry on approvals.requests (expires_at) where state = 'pending';
create index requests_opened on approvals.requests (opened_at desc);

-- Votes that counted: one per reviewer per request, enforced here as well as in the core.
create table approvals.votes (
  request_id text not null references approvals.requests (id),
  reviewer text not null,
  vote_id text not null,
  verdict text not null check (verdict in ('approve', 'reject')),
  -- 'confirm': the requester's confirmation under confirm_by_requester; 'pool': towards the quorum.
  role text not null check (role in ('confirm', 'pool')),
  comment text,
  signature text not null,
  event_id text not null,
  seq bigserial not null,
  cast_at timestamptz not null,
  primary key (request_id, reviewer)
);

-- Every refused vote, with its reason. No foreign key: a vote may name a request that does not exist.
create table approvals.refusals (
  id bigserial primary key,
  request_id text not null,
  vote_id text not null,
  reviewer text not null,
  verdict text not null,
  reason text not null,
  detail text not null,
  event_id text not null,
  refused_at timestamptz not null
);
create index refusals_request on approvals.refusals (request_id);

-- Cancellations seen, also for calls whose request does not exist yet (tool-calls and decisions are
-- different topics, so a cancellation may overtake the decision it cancels).
create table approvals.cancellations (
  call_id text primary key,
  agent_id text not null,
  reason text,
  cancelled_at timestamptz not null
);

-- Events already handled, by CloudEvents id: a redelivered event changes nothing.
create table approvals.processed_events (
  event_id text primary key,
  type text not null,
  processed_at timestamptz not null default now()
);

-- Events to publish, written in the transaction of the state change that caused them (packages/shared/src/outbox).
create table approvals.outbox (
  id bigserial primary key,
  topic text not null,
  key text not null,
  event jsonb not null,
  created_at timestamptz not null default now()
);
