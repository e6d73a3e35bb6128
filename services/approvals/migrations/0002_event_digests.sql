-- What each handled event said: the SHA-256 of its canonical JSON. A second event with a handled id but
-- other content is a conflict (a replay with edits, or a sender reusing ids), refused and dead-lettered,
-- never taken for a redelivery. Rows from before this migration have none and count as redeliveries.
alter table approvals.processed_events add column digest text;
