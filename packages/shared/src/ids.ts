import { nanoid } from "nanoid";

/** A new unique id (21 URL-safe characters, ~126 bits): events, calls, votes, requests. */
export function newId(): string {
  return nanoid();
}
