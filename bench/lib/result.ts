/** One benchmark's outcome: a table of rows (one per case) and notes on how to read it. */
export interface BenchResult {
  name: string;
  /** What was measured and against what baseline. */
  description: string;
  rows: Array<Record<string, string | number>>;
  notes?: string[];
}

/** Render a result as a Markdown table. */
export function toMarkdown(result: BenchResult): string {
  const columns = [...new Set(result.rows.flatMap((row) => Object.keys(row)))];
  const lines = [
    `### ${result.name}`,
    "",
    result.description,
    "",
    `| ${columns.join(" | ")} |`,
    `| ${columns.map(() => "---").join(" | ")} |`,
    ...result.rows.map((row) => `| ${columns.map((c) => String(row[c] ?? "")).join(" | ")} |`),
  ];
  if (result.notes?.length) lines.push("", ...result.notes.map((note) => `- ${note}`));
  return lines.join("\n");
}
