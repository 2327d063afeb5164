/**
 * Serves the web app (packages/web/dist, built by the root `npm run build`) at `/`, so the quick start's
 * `safelight server` is a working messenger at its URL. Paths that are not files get index.html (single-page
 * app fallback); the API's own namespace keeps its JSON 404s.
 */
import { existsSync, statSync } from "node:fs";
import { join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";

/** packages/server/dist/plugins → packages/web/dist */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

/** The page holds the device keys: allow only our own scripts, and no third-party origins at all. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  // blob: lets the page read back its own decrypted object URLs.
  "connect-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

function isApiPath(path: string): boolean {
  return path === "/v1" || path.startsWith("/v1/") || path === "/healthz" || path === "/health";
}

function fileUnder(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const relative = normalize(decoded).replace(/^([/\\])+/, "");
  if (relative === "" || relative.split(/[/\\]/).includes("..") || relative.includes("\0")) return undefined;
  const full = join(root, relative);
  if (!full.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  return existsSync(full) && statSync(full).isFile() ? relative : undefined;
}

function withHeaders(reply: FastifyReply, relative: string): FastifyReply {
  reply.header("content-security-policy", CSP);
  reply.header("x-content-type-options", "nosniff");
  reply.header("referrer-policy", "no-referrer");
  // Vite puts a content hash in every asset name; index.html must always be revalidated.
  reply.header("cache-control", relative.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache");
  return reply;
}

export async function webApp(app: FastifyInstance, opts: { root?: string } = {}): Promise<void> {
  const root = opts.root ?? DEFAULT_WEB_ROOT;
  if (!existsSync(join(root, "index.html"))) {
    app.log.warn({ root }, "web app not built (run `npm run build`); serving the API only");
    return;
  }
  await app.register(fastifyStatic, { root, serve: false, cacheControl: false });
  app.get("/*", { schema: { hide: true } }, (request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    if (isApiPath(path)) return reply.callNotFound();
    const file = fileUnder(root, path) ?? "index.html";
    return withHeaders(reply, file).sendFile(file);
  });
}
