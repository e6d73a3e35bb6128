import { gatewayModule } from "./gateway-module.js";
import type { ServiceModule, ServiceName } from "./services.js";

/**
 * Every service this process can run, in start order: consumers that keep state first, the HTTP edge last;
 * stopped in reverse.
 */
export const MODULES: Record<ServiceName, ServiceModule | undefined> = {
  policy: undefined,
  approvals: undefined,
  audit: undefined,
  gateway: gatewayModule,
};
