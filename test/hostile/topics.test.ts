import { embeddedTarget } from "./support/stacks.js";
import { describeTopicSuite } from "./support/topic-suite.js";

// Every hostile message on every topic of the embedded stack (memory:// + PGlite, one process).
describeTopicSuite("memory", embeddedTarget);
