// @ts-check
// The HTTP API, same origin. Errors are the API's `{ error: { code, message } }`, thrown as Error.

/**
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function request(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers:
      body === undefined
        ? { accept: "application/json" }
        : { "content-type": "application/json", accept: "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await response.json().catch(() => undefined);
  if (!response.ok) throw new Error(json?.error?.message ?? `${path} answered ${response.status}`);
  return json;
}

/** Approval requests, newest first. */
export async function listApprovals() {
  return (await request("/v1/approvals?limit=200")).approvals;
}

/** @param {string} id */
export function getApproval(id) {
  return request(`/v1/approvals/${encodeURIComponent(id)}`);
}

/** @param {{ request_id: string }} vote */
export function postVote(vote) {
  return request(`/v1/approvals/${encodeURIComponent(vote.request_id)}/votes`, vote);
}

/** @param {string} callId */
export async function auditTrail(callId) {
  return (await request(`/v1/audit/events?subject=${encodeURIComponent(callId)}&limit=200`)).events;
}

export function latestCheckpoint() {
  return request("/v1/audit/checkpoints?limit=1");
}

export function verifyAudit() {
  return request("/v1/audit/verify");
}
