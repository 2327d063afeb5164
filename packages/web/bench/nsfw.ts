// `npm run bench:nsfw`: the on-device nudity check in headless Chromium (the tests' launch), served by a real
// `safelight server`. A teen account in the browser receives every benign photo of the PDQ vectors
// ($SAFELIGHT_VECTORS, default <repo>/../shared/vectors) from an SDK account; the page checks each one as it
// shows it. Then the page is reloaded --rounds times: each reload loads the classifier again (from the
// browser's cache) and re-checks every photo from IndexedDB. Figures come from the page's own User Timing
// entries: model load, and per photo the decode (the browser decodes and draws it at 224×224: the same-run
// baseline, what showing a picture costs anyway) and the classification. The last line is one JSON object.
// Method and results: docs/benchmarks.md#on-device-image-check.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseIntFlags } from "@safelight/server/bench/flags";
import { ServerNode } from "@safelight/server/testing";
import { launchBrowser, WebUser } from "../test/browser.js";
import { benignPhotos, sdkPerson, waitForChecks, type PageChecks } from "../test/photos.js";

const opts = parseIntFlags(process.argv.slice(2), { rounds: { value: 3, min: 1 } });
// packages/web/bench-dist/bench → the repository root.
const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const vectors = resolve(process.env.SAFELIGHT_VECTORS ?? join(repo, "../shared/vectors"));

const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
const quantile = (a: number[], q: number) => sorted(a)[Math.min(a.length - 1, Math.floor(q * a.length))] ?? NaN;
const ms = (n: number) => Math.round(n * 10) / 10;

async function main(): Promise<void> {
  const photos = benignPhotos(join(vectors, "pdq", "images"));
  if (photos.length === 0) throw new Error(`no photos under ${vectors}/pdq/images: set SAFELIGHT_VECTORS`);
  const dir = mkdtempSync(join(tmpdir(), "safelight-bench-nsfw-"));
  const server = new ServerNode({ bin: join(repo, "packages/cli/bin/safelight.js"), dataDir: join(dir, "server") });
  await server.start();
  const browser = await launchBrowser();
  try {
    const teen = await WebUser.open(browser, server.url, "tess");
    const sender = await sdkPerson(server.url, dir, "sol", `${new Date().getFullYear() - 16}-01-15`);
    await teen.register(`${new Date().getFullYear() - 15}-01-15`);
    await teen.waitConnected();
    await sender.sendText("tess", "hello tess");
    await teen.open("sol");
    await teen.page.getByRole("button", { name: "Accept" }).click();
    for (const p of photos) await sender.sendText("tess", `photo ${p.name}`, [p]);
    // Round 0: the first load (files fetched from the server) while the photos arrive.
    const first = await waitForChecks(teen.page, photos.length, 600_000);
    const rounds: PageChecks[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      await teen.page.reload();
      rounds.push(await waitForChecks(teen.page, photos.length, 600_000));
    }
    await sender.close();

    const warmLoads = rounds.map((r) => r.loads[0]!);
    const classify = rounds.flatMap((r) => r.classifications.map((c) => c.ms));
    const decode = rounds.flatMap((r) => r.decodes);
    const scores = first.classifications.map((c) => c.score);
    const result = {
      bench: "nsfw",
      photos: photos.length,
      rounds: opts.rounds,
      backend: first.classifications[0]!.backend,
      modelLoadFirstMs: ms(first.loads[0]!),
      modelLoadCachedMedianMs: ms(quantile(warmLoads, 0.5)),
      classifyMedianMs: ms(quantile(classify, 0.5)),
      classifyP95Ms: ms(quantile(classify, 0.95)),
      decodeMedianMs: ms(quantile(decode, 0.5)),
      decodeP95Ms: ms(quantile(decode, 0.95)),
      classifyToDecodeRatio: Math.round((quantile(classify, 0.5) / quantile(decode, 0.5)) * 10) / 10,
      maxScore: Math.round(Math.max(...scores) * 1e4) / 1e4,
      aboveThreshold: scores.filter((s) => s >= 0.5).length,
      cpu: cpus()[0]?.model ?? "unknown",
      loadavg: loadavg().map((l) => Math.round(l * 10) / 10),
    };
    console.log(`on-device nudity check, headless Chromium, backend ${result.backend}; ${photos.length} photos × ${opts.rounds} reloads`);
    console.log("| what | median | p95 |");
    console.log("|---|---|---|");
    console.log(`| model load, first (fetched from the server) | ${result.modelLoadFirstMs} ms | |`);
    console.log(`| model load, after a reload (browser cache) | ${result.modelLoadCachedMedianMs} ms | |`);
    console.log(`| classify one photo | ${result.classifyMedianMs} ms | ${result.classifyP95Ms} ms |`);
    console.log(`| baseline: decode + draw at 224×224 | ${result.decodeMedianMs} ms | ${result.decodeP95Ms} ms |`);
    console.log(`classify ÷ decode (medians): ${result.classifyToDecodeRatio}×; benign photos at or above 0.5: ${result.aboveThreshold} of ${photos.length} (max score ${result.maxScore})`);
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
    await server.stop("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
