// Webhook notifications of opened approvals (Slack-compatible, HMAC-signed, retried, counted).
export { startNotifier, NOTIFIER_GROUP, type NotifierDeps } from "./notifier.js";
export { approvalNotification, consoleLink, type ApprovalNotice, type WebhookBody } from "./message.js";
export { signWebhookBody, verifyWebhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./signature.js";
export { deliverWebhook, WebhookStatusError, type DeliveryOptions, type DeliveryResult } from "./deliver.js";
export { webhookMetrics, type WebhookMetrics } from "./metrics.js";
