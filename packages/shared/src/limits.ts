/** The largest event Airlock accepts on any topic, in bytes of its JSON encoding (DESIGN.md: 256 KiB). */
export const MAX_EVENT_BYTES = 256 * 1024;

/** How much of a refused message a dead letter keeps, so a flood of huge garbage can't flood the log. */
export const DEAD_LETTER_RAW_BYTES = 16 * 1024;

/** How deep a tool call's arguments may nest; deeper input is refused rather than walked. */
export const MAX_ARGS_DEPTH = 32;
