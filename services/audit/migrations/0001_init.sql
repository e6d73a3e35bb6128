-- The audit log (DESIGN.md, "Audit log"). Append-only: UPDATE, DELETE and TRUNCATE are refused by the
-- triggers below, whoever asks. Hashes are bytea (32 bytes; the API shows them as lowercase hex).
-- seq starts at 0 in every chain, so an entry's seq is its RFC 6962 leaf index and a checkpoint of
-- tree_size n covers seq 0 .. n-1.

create table audit.chains (
  name text primary key,
  created_at timestamptz not null default now()
);

create table audit.log (
  chain text not null,
  seq bigint not null check (seq >= 0),
  event_id text not null,
  type text not null,
  subject text,
  -- The event exactly as hashed: RFC 8785 canonical JSON. text, not jsonb: jsonb would reorder keys and
  -- respell numbers, and the stored bytes would no longer be the bytes the hashes cover.
  event text not null,
  leaf_hash bytea not null check (octet_length(leaf_hash) = 32),   -- SHA-256(0x00 ‖ event)
  prev_hash bytea not null check (octet_length(prev_hash) = 32),   -- hash of seq - 1; 32 zero bytes at seq 0
  hash bytea not null check (octet_length(hash) = 32),             -- SHA-256(prev_hash ‖ leaf_hash)
  recorded_at timestamptz not null default now(),
  primary key (chain, seq)
);

-- Each event is recorded once, whatever the broker redelivers.
create unique index log_event_id on audit.log (event_id);
-- Everything about one call (its id is the events' subject), in one chain or across all, in seq order.
create index log_subject on audit.log (subject, chain, seq);

-- Public keys that have signed checkpoints, by key id (first 16 bytes of SHA-256 of the raw key, hex).
create table audit.keys (
  key_id text primary key,
  public_key text not null unique,   -- ed25519:<base64 of the raw 32-byte key>
  created_at timestamptz not null default now()
);

-- Signed RFC 6962 tree heads. signed_at is text: it is kept exactly as signed.
create table audit.checkpoints (
  chain text not null,
  tree_size bigint not null check (tree_size >= 0),
  root_hash bytea not null check (octet_length(root_hash) = 32),
  head_hash bytea not null check (octet_length(head_hash) = 32),
  signed_at text not null,
  key_id text not null,
  signature text not null,
  -- The compact Merkle frontier at tree_size (not signed; derived): the next checkpoint starts from it
  -- instead of rereading the whole log.
  frontier bytea not null,
  created_at timestamptz not null default now(),
  primary key (chain, tree_size)
);

-- Roots of perfect subtrees of 2^8 leaves and more, written with each checkpoint: proofs read ~20 of
-- these and at most a few hundred leaf hashes instead of the whole log. A cache: proofs are checked
-- against the signed root before they are served, and the verifier never reads it.
create table audit.subtrees (
  chain text not null,
  level smallint not null,
  idx bigint not null,
  hash bytea not null,
  primary key (chain, level, idx)
);

-- Checkpoint events wait here until the relay has published them (they commit with the checkpoint).
create table audit.outbox (
  id bigserial primary key,
  topic text not null,
  key text not null,
  event jsonb not null,
  created_at timestamptz not null default now()
);

-- Immutability. Statement-level BEFORE triggers fire even when no row matches, so even a no-op UPDATE is
-- refused. 42501 is insufficient_privilege. Only a superuser bypassing triggers
-- (session_replication_role = replica) or the table owner disabling them gets past this; the verifier
-- exists for exactly that case.
create function audit.refuse_change() returns trigger
language plpgsql as $$
begin
  raise exception 'audit.% is append-only: % refused', tg_table_name, tg_op using errcode = '42501';
end;
$$;

create trigger log_append_only before update or delete on audit.log
  for each statement execute function audit.refuse_change();
create trigger log_no_truncate before truncate on audit.log
  for each statement execute function audit.refuse_change();
create trigger checkpoints_append_only before update or delete on audit.checkpoints
  for each statement execute function audit.refuse_change();
create trigger checkpoints_no_truncate before truncate on audit.checkpoints
  for each statement execute function audit.refuse_change();
create trigger keys_append_only before update or delete on audit.keys
  for each statement execute function audit.refuse_change();
create trigger keys_no_truncate before truncate on audit.keys
  for each statement execute function audit.refuse_change();

revoke all on schema audit from public;
revoke all on all tables in schema audit from public;

-- A read-only role for auditors. Roles are cluster-wide, so databases migrating at the same moment may
-- race to create it (duplicate_object / unique_violation: someone else made it, which is the goal). A
-- database user without CREATEROLE cannot make it at all: the log says so and the grants are skipped.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'airlock_auditor') then
    create role airlock_auditor nologin;
  end if;
exception
  when duplicate_object or unique_violation then
    raise notice 'role airlock_auditor was created concurrently';
  when insufficient_privilege or feature_not_supported then
    raise warning 'cannot create role airlock_auditor (%); create it and grant it SELECT on schema audit by hand', sqlerrm;
end;
$$;

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'airlock_auditor') then
    grant usage on schema audit to airlock_auditor;
    grant select on audit.log, audit.checkpoints, audit.keys, audit.chains to airlock_auditor;
  end if;
end;
$$;
