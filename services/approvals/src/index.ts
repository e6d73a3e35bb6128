// @airlock/approvals: M-of-N approval of escalated tool calls (DESIGN.md, "Approval rules").
export { startApprovalsService, APPROVALS_GROUP, type ApprovalsServiceDeps } from "./service.js";
export { approvalRoutes, type ApprovalRoutesDeps } from "./http.js";
export type { ApprovalView, ApprovalDetail } from "./view.js";
export * from "./core/index.js";

/** The approvals service's migrations folder: apply with migrate(sql, { schema: "approvals", directory: MIGRATIONS }). */
export const MIGRATIONS = new URL("../migrations/", import.meta.url);

/** The schema holding the approvals tables. */
export { SCHEMA } from "./store/index.js";
export {
  startNotifier,
  NOTIFIER_GROUP,
  verifyWebhookSignature,
  signWebhookBody,
  type NotifierDeps,
  type WebhookBody,
  type ApprovalNotice,
} from "./notifications/index.js";
