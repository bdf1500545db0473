/** The service's REST API as the console calls it: `Authorization: token <t>`, JSON bodies. */

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Where the signed-in token lives between visits. */
export const TOKEN_KEY = "stackyard.console.token";

export class Api {
  constructor(private readonly token: string, private readonly base = "") {}

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        headers: { Authorization: `token ${this.token}`, Accept: "application/vnd.pulumi+8" },
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ApiError(0, `cannot reach the service: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, text));
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }
}

/** The `{code, message}` body's message, else the status line. */
export function errorMessage(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string" && parsed.message !== "") return parsed.message;
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${status}`;
}

/** Runs `fn` over items with at most `limit` calls in flight; results keep the input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
