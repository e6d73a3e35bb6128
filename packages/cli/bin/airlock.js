#!/usr/bin/env node
// The `airlock` command as npm links it (node_modules/.bin/airlock). npm links a bin only if its file
// exists when it installs, and dist/ does not exist before the first build: this small file always does,
// and runs the compiled command line.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("../dist/bin.js", import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write("airlock: the command line is not built yet; run `npm run build` (or `npm start`) first\n");
  process.exit(1);
}
await import(compiled.href);
