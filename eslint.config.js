// Type-aware lint. no-floating-promises and no-misused-promises are errors: they are the bugs of broker code.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.airlock/**", "bench/results/**", "**/*.js", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ["./tsconfig.check.json"], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "error",
    },
  },
  {
    // The core of each service is deterministic: no I/O, no clock, no randomness. Enforced, not hoped for.
    files: ["services/*/src/core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["node:*", "pg", "amqplib", "kafkajs", "pino", "@electric-sql/*"],
              message: "core/ is pure: no I/O imports.",
            },
          ],
        },
      ],
      "no-restricted-globals": ["error", { name: "Date", message: "core/ takes the time as an argument." }],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "core/ takes randomness as an argument." },
      ],
    },
  },
  {
    // Tests, benchmarks and command-line entry points talk to a terminal.
    files: ["**/test/**/*.ts", "bench/**/*.ts", "packages/cli/src/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
