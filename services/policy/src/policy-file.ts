import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError, type Logger } from "@airlock/shared";
import type { CompiledPolicy } from "./core/compile.js";
import { formatPolicyError, loadPolicy } from "./core/load.js";

/**
 * Read and compile a policy file. Throws a ConfigError listing every `file:line:col: reason` when it
 * is invalid, and one naming the file when it cannot be read: a service cannot start without a policy.
 */
export async function readPolicyFile(file: string): Promise<CompiledPolicy> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(`AIRLOCK_POLICY: cannot read ${file}: ${(error as Error).message}`);
  }
  return compileOrThrow(text, file);
}

/** Compile policy text, or throw a ConfigError listing every `file:line:col: reason`. */
export function compileOrThrow(text: string, file: string): CompiledPolicy {
  const loaded = loadPolicy(text);
  if (!loaded.ok) {
    throw new ConfigError(
      `policy ${file} is invalid:\n${loaded.errors.map((error) => formatPolicyError(file, error)).join("\n")}`,
    );
  }
  return loaded.policy;
}

/** Options of {@link watchPolicyFile}. */
export interface WatchPolicyOptions {
  file: string;
  /** The policy loaded from the file at start. */
  initial: CompiledPolicy;
  /** Told of each new valid policy whose version differs from the one in force. */
  onReload: (policy: CompiledPolicy) => void;
  logger: Logger;
  /** Quiet time after the last change before the file is read: editors write in several steps. Default 100 ms. */
  debounceMs?: number;
}

/** A watched policy file. */
export interface PolicyFileWatcher {
  /** Read the file now (as a change would). Resolves to whether a new version came into force. */
  reload(): Promise<boolean>;
  close(): void;
}

/**
 * Watch a policy file and reload it when it changes. The directory is watched, not the file: editors
 * and `kubectl` replace a file by renaming another over it, which ends a watch on the file itself. A
 * new file that is invalid (or unreadable) is logged at error level with every `file:line:col: reason`,
 * and the last good policy stays in force.
 */
export function watchPolicyFile(options: WatchPolicyOptions): PolicyFileWatcher {
  const { file, onReload } = options;
  const log = options.logger.child({ module: "policy-file", file });
  const debounceMs = options.debounceMs ?? 100;
  let current = options.initial;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  // Reloads run one after another, so an older read never replaces a newer one.
  let chain: Promise<boolean> = Promise.resolve(false);

  const load = async (): Promise<boolean> => {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      log.error(
        { err: error, version: current.identity.version },
        "cannot read the policy file; keeping the policy in force",
      );
      return false;
    }
    const loaded = loadPolicy(text);
    if (!loaded.ok) {
      const errors = loaded.errors.map((error) => formatPolicyError(file, error));
      log.error(
        { errors, version: current.identity.version },
        `policy file is invalid; keeping version ${current.identity.version}: ${errors.join("; ")}`,
      );
      return false;
    }
    if (closed || loaded.policy.identity.version === current.identity.version) return false;
    const previous = current.identity.version;
    current = loaded.policy;
    onReload(current);
    log.info({ policy: current.identity.name, version: current.identity.version, previous }, "policy reloaded");
    return true;
  };
  const reload = (): Promise<boolean> => (chain = chain.then(load, load));

  const base = path.basename(file);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path.dirname(file), { persistent: false }, (_event, name) => {
      // Any change of the file itself, or of a directory entry we cannot name (Kubernetes swaps a
      // `..data` symlink), may be a new policy; an unchanged version is not reloaded.
      if (name !== null && name !== base && !name.startsWith("..")) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        reload().catch((error: unknown) => log.error({ err: error }, "reloading the policy failed"));
      }, debounceMs);
    });
    watcher.on("error", (error) => log.error({ err: error }, "watching the policy file failed; reloads stop"));
  } catch (error) {
    log.error({ err: error }, "cannot watch the policy file; it will not be reloaded on change");
  }

  return {
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
