import { createEvent, type AirlockEvent, type SignedVote, type Transport } from "@airlock/shared";

/**
 * Publish a signed vote straight to the broker (`airlock.votes`, keyed by request id). Resolves when
 * the broker has it; whether it counted is the approvals service's to say (`vote.refused` if not).
 */
export async function publishVote(transport: Transport, vote: SignedVote): Promise<AirlockEvent<"airlock.vote.cast">> {
  const event = createEvent({
    type: "airlock.vote.cast",
    source: `reviewer/${vote.reviewer}`,
    subject: vote.request_id,
    data: vote,
  });
  await transport.publish(event);
  return event;
}
