/**
 * How one hostile input ended: refused with an error, dead-lettered with a reason, taken and stored exactly
 * as sent — or `mishandled`: its test failed (a 5xx, no dead letter, a wrong body: an open finding).
 */
export type Outcome = "refused" | "dead_lettered" | "accepted" | "mishandled";

/** Counts of hostile inputs by category and outcome, for RELIABILITY.md. */
export class Tally {
  readonly #counts = new Map<string, Record<Outcome | "tried", number>>();

  /** Run one input's check; a check that throws counts the input as mishandled (and still fails its test). */
  async check(category: string, body: () => Promise<Outcome>): Promise<void> {
    let outcome: Outcome = "mishandled";
    try {
      outcome = await body();
    } finally {
      this.record(category, outcome);
    }
  }

  /** Count one input of `category` that ended as `outcome`. */
  record(category: string, outcome: Outcome): void {
    const counts = this.#counts.get(category) ?? { tried: 0, refused: 0, dead_lettered: 0, accepted: 0, mishandled: 0 };
    counts.tried++;
    counts[outcome]++;
    this.#counts.set(category, counts);
  }

  /** Totals and the counts of each category. */
  figures(): Record<string, unknown> {
    const categories = Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
    const total = (key: Outcome | "tried"): number =>
      [...this.#counts.values()].reduce((sum, counts) => sum + counts[key], 0);
    return {
      inputs_tried: total("tried"),
      refused_with_error: total("refused"),
      dead_lettered_with_reason: total("dead_lettered"),
      accepted_and_stored_verbatim: total("accepted"),
      mishandled: total("mishandled"),
      categories,
    };
  }
}
