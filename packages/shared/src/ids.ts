import { customAlphabet } from "nanoid";

// nanoid's default alphabet includes "-": one id in 64 would begin with it, and a command line reads
// `airlock approve -Xy…` as an option. Letters, digits and "_" keep ids URL-safe and shell-safe.
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
const generate = customAlphabet(ALPHABET, 22);

/** A new unique id (22 characters of [0-9A-Za-z_], ~131 bits): events, calls, votes, requests. */
export function newId(): string {
  return generate();
}
