import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "@airlock/shared";
import type { SignedState } from "./checkpoint-writer.js";

/** The file beside the signing key where the checkpointer keeps what it signed last, per chain. */
export const CHECKPOINT_STATE_FILE = "audit-checkpoints.json";

const hex = z.string().regex(/^[0-9a-f]*$/);
const StateFile = z.strictObject({
  version: z.literal(1),
  chains: z.record(
    z.string(),
    z.strictObject({
      tree_size: z.number().int().min(0),
      root_hash: hex.length(64),
      head_hash: hex.length(64),
      frontier: hex,
    }),
  ),
});

/**
 * What the checkpointer signed last of each chain, kept outside the database so that the database cannot
 * talk it into signing a rewritten chain (checkpoint-writer.ts). Written after every checkpoint commits,
 * atomically (a temporary file renamed over the old one). Without a path it lives in memory only.
 */
export class CheckpointState {
  readonly #file: string | undefined;
  readonly #chains = new Map<string, SignedState>();

  private constructor(file: string | undefined) {
    this.#file = file;
  }

  /** The state in `dir` (none yet on a first start); a file that cannot be read or parsed stops the service. */
  static async load(dir: string | undefined): Promise<CheckpointState> {
    const state = new CheckpointState(dir === undefined ? undefined : path.join(dir, CHECKPOINT_STATE_FILE));
    if (!state.#file) return state;
    let text: string;
    try {
      text = await readFile(state.#file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return state;
      throw new ConfigError(`cannot read the audit checkpoint state ${state.#file}: ${(error as Error).message}`);
    }
    let parsed;
    try {
      parsed = StateFile.safeParse(JSON.parse(text));
    } catch (error) {
      throw new ConfigError(`the audit checkpoint state ${state.#file} is not JSON: ${(error as Error).message}`);
    }
    if (!parsed.success) {
      throw new ConfigError(`the audit checkpoint state ${state.#file} is invalid: ${z.prettifyError(parsed.error)}`);
    }
    for (const [chain, kept] of Object.entries(parsed.data.chains)) state.#chains.set(chain, kept);
    return state;
  }

  /** What was signed last of `chain`, if anything. */
  of(chain: string): SignedState | undefined {
    return this.#chains.get(chain);
  }

  /** Keep `state` for `chain` (after its checkpoint committed). */
  async keep(chain: string, state: SignedState): Promise<void> {
    this.#chains.set(chain, state);
    if (!this.#file) return;
    const text = JSON.stringify({ version: 1, chains: Object.fromEntries(this.#chains) }, null, 2) + "\n";
    await mkdir(path.dirname(this.#file), { recursive: true });
    const temporary = `${this.#file}.${process.pid}.tmp`;
    await writeFile(temporary, text, { mode: 0o600 });
    await rename(temporary, this.#file);
  }
}
