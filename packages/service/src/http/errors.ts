/** Errors carry the HTTP status; the body is `{code, message}` with `code` equal to the status. */
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? "Error";
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** Text after the status prefix, e.g. "stack 'a/b/c' not found". */
    readonly detail: string,
    readonly errors?: { resource: string; attribute: string; errorType: string; customMessage?: string }[],
  ) {
    super(`${statusText(status)}: ${detail}`);
  }
}

export const badRequest = (detail: string) => new ApiError(400, detail);
export const unauthorized = (detail = "No credentials provided or are invalid.") => new ApiError(401, detail);
export const forbidden = (detail: string) => new ApiError(403, detail);
export const notFound = (detail: string) => new ApiError(404, detail);
export const conflict = (detail: string) => new ApiError(409, detail);

export interface ErrorBody {
  code: number;
  message: string;
  errors?: ApiError["errors"];
}

export function errorBody(status: number, message: string, errors?: ApiError["errors"]): ErrorBody {
  return errors ? { code: status, message, errors } : { code: status, message };
}
