import { embeddedTarget } from "./support/stacks.js";
import { describeCallSuite } from "./support/call-suite.js";

// Reused call ids and hostile reply_to, on the embedded stack (memory:// + PGlite).
describeCallSuite("memory", embeddedTarget);
