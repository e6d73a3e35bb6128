/**
 * An HTTP client always gets JSON: `{ "error": { "code", "message", "details"? } }` with the right status.
 * Route handlers throw HttpError for what the client got wrong; anything else is a 500 without internals.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The JSON body of an error response. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** The body for an error. */
export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
