import { createPgliteDatabase } from "../../src/testing/index.js";
import { sqlContract } from "./contract.js";

sqlContract("pglite", async () => {
  const sql = await createPgliteDatabase();
  return { sql, drop: () => sql.close() };
});
