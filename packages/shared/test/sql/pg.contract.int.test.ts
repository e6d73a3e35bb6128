import { createTestDatabase } from "../../src/testing/index.js";
import { sqlContract } from "./contract.js";

sqlContract("pg", createTestDatabase);
