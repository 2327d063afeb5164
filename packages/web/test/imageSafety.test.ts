/**
 * Image protection in a real browser (docs/image-safety.md): the real nsfwjs model, loaded from our own
 * server, checks received pictures in the page. Benign photographs (the PDQ vectors) for the false-positive
 * rate; a lowered test-only threshold sends the real classifier's verdicts down the blur path (warning,
 * View anyway, Report, Block) and the teen's send warning; an adult is unprotected until they turn it on;
 * checking sends nothing to anyone and the server stores nothing new. Real server process, Debian's
 * Chromium, SDK people in this process.
 */
import { join } from "node:path";
import type { SafelightClient } from "@safelight/client";
import { queryTestStore } from "@safelight/server/testing";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanup, filesUnder, ServerProcess, tempDir } from "../../cli/test/harness.js";
import { pdqVectors } from "../../pdq/test/vectors.js";
import { captureScreens, launchBrowser, WebUser } from "./browser.js";
import { benignPhotos, pageChecks, sdkPerson, waitForChecks, type Photo } from "./photos.js";

/** The bound this suite holds the benign false-positive rate to (docs/image-safety.md publishes the figure). */
const MAX_FALSE_POSITIVE_RATE = 0.05;
/** The app's test-only threshold override (app/imageSafety.ts). */
const TEST_THRESHOLD_KEY = "safelight.test-only.nudityThreshold";

const photos = benignPhotos(join(pdqVectors(), "images"));
const photo = (name: string): Photo => photos.find((p) => p.name === name)!;
const bornYearsAgo = (years: number) => `${new Date().getFullYear() - years}-01-15`;

let data: string;
let profiles: string;
let server: ServerProcess;
let browser: Browser;
let tia: WebUser;
let ada: WebUser;
let pia: SafelightClient;
/** Every benign photo's score as the teen's page computed it, by photo name. */
let scores: Map<string, number>;

async function setTestThreshold(user: WebUser, value: number): Promise<void> {
  await user.page.evaluate(([key, v]) => localStorage.setItem(key, v), [TEST_THRESHOLD_KEY, String(value)] as const);
}

/** `from` sends one photo; resolves once the recipient's page has finished checking it (or showing it). */
async function receivePhoto(user: WebUser, p: Photo, caption: string): Promise<void> {
  await pia.sendText(user.name, caption, [p]);
  await user.expectMessage(caption);
}

const hidden = (user: WebUser, name: string) => user.log().getByRole("figure", { name: `Hidden image ${name}` });
const shown = (user: WebUser, name: string) => user.log().getByRole("img", { name: `Image ${name}` });

beforeAll(async () => {
  data = tempDir("web-image-safety");
  profiles = tempDir("web-image-safety-sdk");
  server = new ServerProcess(data);
  await server.start();
  browser = await launchBrowser();
  [tia, ada] = await Promise.all([WebUser.open(browser, server.url, "tia"), WebUser.open(browser, server.url, "ada")]);
  [pia] = await Promise.all([sdkPerson(server.url, profiles, "pia", bornYearsAgo(16)), tia.register(bornYearsAgo(15)), ada.register(bornYearsAgo(40))]);
  await Promise.all([tia.waitConnected(), ada.waitConnected()]);
  // Both accept pia's message request, so her attachments are delivered.
  for (const user of [tia, ada]) {
    await pia.sendText(user.name, `hello ${user.name}`);
    await user.open("pia");
    await user.page.getByRole("region", { name: "Message request" }).getByRole("button", { name: "Accept" }).click();
    await user.page.getByRole("region", { name: "Message request" }).waitFor({ state: "detached" });
  }
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail") await captureScreens([tia, ada], ctx.task.name);
});

afterAll(async () => {
  await browser?.close();
  await pia?.close();
  await server?.kill();
  cleanup(data, profiles);
});

describe("image protection in the browser", () => {
  it("checks every benign photo a teen receives with the real model, and blurs at most 5 % of them", async () => {
    const before = (await pageChecks(tia.page)).classifications.length;
    for (const p of photos) await receivePhoto(tia, p, `photo ${p.name}`);
    const checks = await waitForChecks(tia.page, before + photos.length);
    const mine = checks.classifications.slice(before);
    // Each photo's verdict, from what the page shows.
    let flagged = 0;
    for (const p of photos) {
      await hidden(tia, p.name).or(shown(tia, p.name)).waitFor();
      if (await hidden(tia, p.name).isVisible()) flagged++;
    }
    scores = new Map(mine.map((c) => [c.name, c.score]));
    expect([...scores.keys()].sort()).toEqual(photos.map((p) => p.name).sort());
    const sorted = mine.map((c) => c.score).sort((a, b) => a - b);
    const rate = flagged / photos.length;
    console.log(
      `benign photos: ${flagged} of ${photos.length} blurred (false-positive rate ${(rate * 100).toFixed(1)} %) at threshold 0.5; ` +
        `scores min ${sorted[0]!.toFixed(4)}, median ${sorted[sorted.length >> 1]!.toFixed(4)}, max ${sorted.at(-1)!.toFixed(4)}; ` +
        `backend ${mine[0]!.backend}; model load ${checks.loads.map((l) => l.toFixed(0)).join(", ")} ms`,
    );
    expect(checks.loads).toHaveLength(1);
    expect(mine.every((c) => c.score >= 0 && c.score <= 1)).toBe(true);
    expect(rate).toBeLessThanOrEqual(MAX_FALSE_POSITIVE_RATE);
  });
});
