#!/usr/bin/env node
// The `airlock` command line. Each command lives in commands/<name>.ts; this file only dispatches.
import { ConfigError } from "@airlock/shared";
import { COMMANDS, usage } from "./commands/index.js";

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(usage());
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`airlock: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A bad configuration is the operator's to fix: one clear line per problem, no stack trace.
    if (error instanceof ConfigError)
      process.stderr.write(`airlock: ${error.message.split("\n").join("\nairlock: ")}\n`);
    else process.stderr.write(`airlock: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
