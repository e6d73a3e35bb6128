import { approvalsModule } from "./approvals-module.js";
import { auditModule } from "./audit-module.js";
import { gatewayModule } from "./gateway-module.js";
import { policyModule } from "./policy-module.js";
import type { ServiceModule, ServiceName } from "./services.js";

/**
 * Every service this process can run, in start order: the audit log first (so it sees the first event),
 * the HTTP edge last; stopped in reverse.
 */
export const MODULES: Record<ServiceName, ServiceModule> = {
  audit: auditModule,
  policy: policyModule,
  approvals: approvalsModule,
  gateway: gatewayModule,
};
