/** JSON-over-HTTP calls to a Safelight server (docs/protocol.md). */
import { SafelightError } from "../errors.js";

export interface HttpOptions {
  baseUrl: string;
  token?: () => string | undefined;
}

export class HttpTransport {
  constructor(private readonly opts: HttpOptions) {}

  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    const token = this.opts.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    return this.send<T>(method, path, headers, body === undefined ? undefined : JSON.stringify(body));
  }

  async upload<T>(path: string, bytes: Uint8Array, method: "POST" | "PUT" = "POST"): Promise<T> {
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    const token = this.opts.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    return this.send<T>(method, path, headers, bytes as unknown as BodyInit);
  }

  async download(path: string): Promise<Uint8Array> {
    const res = await this.fetch("GET", path, this.authHeaders(), undefined);
    if (!res.ok) throw await this.errorOf(res);
    return new Uint8Array(await res.arrayBuffer());
  }

  private authHeaders(): Record<string, string> {
    const token = this.opts.token?.();
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  private async send<T>(method: string, path: string, headers: Record<string, string>, body: BodyInit | undefined) {
    const res = await this.fetch(method, path, headers, body);
    if (!res.ok) throw await this.errorOf(res);
    return (await res.json()) as T;
  }

  private async fetch(method: string, path: string, headers: Record<string, string>, body: BodyInit | undefined) {
    try {
      return await fetch(new URL(path, this.opts.baseUrl), { method, headers, body: body ?? null });
    } catch (err) {
      throw new SafelightError(
        "SL_CLIENT_UNREACHABLE",
        `cannot reach the server at ${this.opts.baseUrl}: ${(err as Error).cause ?? (err as Error).message}`,
      );
    }
  }

  private async errorOf(res: Response): Promise<SafelightError> {
    let code = "SL_ERR_HTTP";
    let message = `${res.status} ${res.statusText}`;
    let details: Record<string, unknown> | undefined;
    try {
      const body = (await res.json()) as { error?: { code?: string; message?: string } & Record<string, unknown> };
      if (body.error?.code) code = body.error.code;
      if (body.error?.message) message = body.error.message;
      details = body.error;
    } catch {
      // Not JSON: keep the status line.
    }
    return new SafelightError(code, message, res.status, details);
  }
}
