import { parentPort, workerData } from "node:worker_threads";
import { PgClient, silentLogger } from "@airlock/shared/verifier";
import { checkRange, type RangeJob } from "./range-check.js";

// A worker thread of parallel verification (worker-pool.ts): checks the ranges it is sent on a
// connection of its own and answers each with its RangeResult, or with the error that stopped it.

const { databaseUrl } = workerData as { databaseUrl: string };
// Two connections: one page is read ahead while the one before is checked. Only what checking needs is
// imported (@airlock/shared/verifier): the package's index would take most of the thread's start.
const sql = new PgClient(databaseUrl, { logger: silentLogger(), max: 2, applicationName: "airlock-verify" });

parentPort!.on("message", (job: RangeJob) => {
  checkRange(sql, job).then(
    (result) => parentPort!.postMessage({ result }),
    (error: unknown) => parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
});
