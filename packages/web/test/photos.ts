/**
 * The benign photo set for image protection (docs/image-safety.md): every real photograph among the PDQ
 * vectors, read in place; a Node SDK account that sends them; and what the page recorded about each check
 * (User Timing entries that exist only in the page's memory). Shared by imageSafety.test.ts and bench/nsfw.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SafelightClient } from "@safelight/client";
import { SqliteClientStore } from "@safelight/client/node";
import type { Page } from "playwright-core";

export interface Photo {
  name: string;
  type: string;
  bytes: Uint8Array;
}

const TYPES: Record<string, string> = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };

/** The photographs under `imagesDir` (the vectors' pdq/images), named by their path there. */
export function benignPhotos(imagesDir: string): Photo[] {
  return readdirSync(imagesDir, { recursive: true })
    .map(String)
    .sort()
    .flatMap((path) => {
      const type = TYPES[path.split(".").pop()!.toLowerCase()];
      if (!type) return [];
      const name = path.replace(/[\\/]/g, "__");
      return [{ name, type, bytes: new Uint8Array(readFileSync(join(imagesDir, path))) }];
    });
}

/** A person on the SDK in this process (SQLite profile under `dir`), registered on `serverUrl`. */
export async function sdkPerson(serverUrl: string, dir: string, name: string, birthdate: string): Promise<SafelightClient> {
  const client = new SafelightClient({ store: new SqliteClientStore(join(dir, `${name}.db`)) });
  await client.register(serverUrl, name, birthdate);
  return client;
}

/** The names the web app's app/imageSafety.ts gives its User Timing measures. */
export const TIMING = { load: "safelight:nudity-model-load", decode: "safelight:image-decode", classify: "safelight:nudity-classify" } as const;

export interface PageChecks {
  /** Model load times (ms): one per load of the classifier in this page. */
  loads: number[];
  decodes: number[];
  /** One per picture classified, in order. */
  classifications: { name: string; ms: number; score: number; backend: string }[];
}

export function pageChecks(page: Page): Promise<PageChecks> {
  return page.evaluate((names) => {
    const durations = (name: string) => performance.getEntriesByName(name).map((e) => e.duration);
    const classify = performance.getEntriesByName(names.classify) as PerformanceMeasure[];
    return {
      loads: durations(names.load),
      decodes: durations(names.decode),
      classifications: classify.map((e) => ({ ms: e.duration, ...(e.detail as { name: string; score: number; backend: string }) })),
    };
  }, TIMING);
}

/** Waits until the page has classified `count` pictures since it loaded. */
export async function waitForChecks(page: Page, count: number, timeout = 300_000): Promise<PageChecks> {
  await page.waitForFunction(([name, n]) => performance.getEntriesByName(name as string).length >= (n as number), [TIMING.classify, count] as const, {
    timeout,
  });
  return pageChecks(page);
}
