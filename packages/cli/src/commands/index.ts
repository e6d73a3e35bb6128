import { approvals } from "./approvals.js";
import { approve, reject } from "./approve.js";
import { audit } from "./audit.js";
import { call } from "./call.js";
import { keys } from "./keys.js";
import { policy } from "./policy.js";
import { start } from "./start.js";

/** One subcommand of `airlock`. */
export interface Command {
  /** One line for the usage text. */
  summary: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}

/** Every command, by name. */
export const COMMANDS: Record<string, Command> = {
  start,
  call,
  approvals,
  approve,
  reject,
  keys,
  policy,
  audit,
};

/** The usage text. */
export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  airlock ${name.padEnd(28)} ${command.summary}`);
  return `Usage: airlock <command> [options]\n\n${lines.join("\n")}\n`;
}
