-- The agent of a logged event, for the agent filter of GET /v1/audit/events and `airlock audit log --agent`.
-- The log keeps each event as canonical JSON text; a cast to jsonb fails for an event holding a NUL
-- character (\u0000, which jsonb cannot store), and one such event in the log would make every agent
-- query fail. This reads the agent of every other event and answers NULL for that one.
create function audit.agent_of(event text) returns text
language plpgsql immutable parallel safe as $$
begin
  return event::jsonb #>> '{data,agent_id}';
exception when others then
  return null;
end;
$$;
