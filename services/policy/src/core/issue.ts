/**
 * Why a policy document is refused: a path into the document (mapped to line:column at the edge) and
 * the reason. `at: "key"` points at the mapping key itself (an unknown key) rather than its value.
 */
export interface PolicyIssue {
  path: (string | number)[];
  message: string;
  at?: "key";
}
