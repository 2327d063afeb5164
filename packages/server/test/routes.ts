/** The server's real routes, read from Fastify itself, so a new route is covered by the suites that use this. */
import type { FastifyInstance } from "fastify";

export interface Route {
  method: string;
  /** Fastify's pattern, e.g. /v1/groups/:groupId/commits */
  url: string;
}

/**
 * Parses `printRoutes({ commonPrefix: false })`: one tree line per path segment, indented four columns
 * per level, methods in parentheses. HEAD is left out (Fastify adds it to every GET).
 */
export function serverRoutes(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split("\n")) {
    const m = /^([│ ├└─]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (m === null) continue;
    const depth = Math.floor(m[1]!.length / 4);
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of (m[3] ?? "").split(", ").filter((x) => x !== "" && x !== "HEAD")) routes.push({ method, url: stack.join("") });
  }
  if (routes.length === 0) throw new Error("no routes parsed from printRoutes(): has its format changed?");
  return routes;
}
