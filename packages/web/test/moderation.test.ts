/**
 * The moderator console end to end: a person reports a message (text and an image) from the browser; a
 * moderator signs in to the console in another browser, sees the verified report (the image blurred until
 * shown, its PDQ hash recomputed in the page by the pdq core), the reported account's history, records a
 * decision, and finds it in the audit trail.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Locator } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hashToHex, parsePnm } from "@safelight/pdq";
import { hashFile } from "@safelight/pdq/node";
import { setAccountRole } from "@safelight/server";
import { cleanup, ok, ServerProcess, tempDir } from "../../cli/test/harness.js";
import { expectedCsv, vectorFile } from "../../pdq/test/vectors.js";
import { captureScreens, DESKTOP, launchBrowser, PHONE, WebUser } from "./browser.js";
import { encodePng } from "./png.js";

let data: string;
let server: ServerProcess;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;
let mod: WebUser;
// The reported picture is a decoder-free PDQ reference vector, as a lossless PNG: the browser decodes exactly
// the vector's pixels, so the hash the console computes must be the reference's bit for bit.
const VECTOR = "canonical/misc-images__wee.ppm";
const vector = parsePnm(readFileSync(vectorFile(VECTOR)));
const png = encodePng(vector.width, vector.height, vector.data, "moderation-test-image");
const reference = expectedCsv("canonical.csv").find((row) => row.file === VECTOR)!;

beforeAll(async () => {
  data = tempDir("web-mod-data");
  // Two refused requests are enough for this server's rule to act (the default needs more than five), so
  // the second test can show the console's list of safety actions.
  const refused = { name: "requests-mostly-refused", signal: "requests-declined-or-blocked", windowHours: 24, threshold: 1, minRate: 0.5, actions: ["rate-limit", "review"] };
  writeFileSync(join(data, "safety-policy.json"), JSON.stringify({ rules: [refused] }));
  server = new ServerProcess(data);
  await server.start();
  browser = await launchBrowser();
  [alice, bob, mod] = await Promise.all([
    WebUser.open(browser, server.url, "alice"),
    WebUser.open(browser, server.url, "bob"),
    WebUser.open(browser, server.url, "mod"),
  ]);
  await Promise.all([alice.register(), bob.register(), mod.register()]);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail") await captureScreens([alice, bob, mod], ctx.task.name);
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  cleanup(data);
});

/** SHA-256 (hex) of the bytes an <img> shows, read back in the page. */
const shownSha256 = (img: Locator) =>
  img.evaluate(async (el: HTMLImageElement) => {
    const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", await (await fetch(el.src)).arrayBuffer()));
    return [...hash].map((b) => b.toString(16).padStart(2, "0")).join("");
  });

describe("moderator console", () => {
  it("a user reports a message from the browser; a moderator sees the verified report and records a decision", async () => {
    await bob.startChat("alice", "hey, want cheap followers? visit spam.example");
    await bob.sendImage("offer.png", png, "look at this offer");

    await alice.conversation("bob").waitFor();
    await alice.open("bob");
    await alice.expectMessage("look at this offer");
    // Bob is a stranger: his image is withheld until Alice accepts his request; then it is in her browser.
    const request = alice.page.getByRole("region", { name: "Message request" });
    await request.getByRole("button", { name: "Accept" }).click();
    await request.waitFor({ state: "detached" });
    await alice.log().getByRole("img", { name: "Image offer.png" }).waitFor();
    await alice.log().getByTestId("message").filter({ hasText: "look at this offer" }).getByRole("button", { name: "Report message from bob" }).click();
    const dialog = alice.page.getByRole("dialog", { name: "Report a message from bob" });
    await dialog.getByRole("radio", { name: "Spam or scam" }).check();
    await dialog.getByLabel(/Anything the moderators should know/).fill("he keeps sending these");
    // The image goes with the report unless the reporter unticks it (checked for known images, kept as evidence).
    const reveal = dialog.getByRole("checkbox", { name: /Also send the attachment \(offer\.png\)/ });
    await expect(reveal.isChecked()).resolves.toBe(true);
    await dialog.getByRole("button", { name: "Send report" }).click();
    await dialog.getByText("The moderators can verify 2 messages").waitFor();
    await dialog.getByText("1 attachment was sent to be checked and kept as evidence").waitFor();
    await dialog.getByRole("button", { name: "Close" }).click();

    // A non-moderator is refused by the server, and the console says so.
    await alice.page.evaluate(() => (location.hash = "#/moderation"));
    await alice.page.getByRole("alert").filter({ hasText: "is not a moderator" }).waitFor();

    // The operator grants the role; after a reload the messenger offers the console.
    expect(await setAccountRole({ dataDir: data }, "mod", "moderator")).toBe(true);
    const { page } = mod;
    await page.reload();
    await page.getByRole("link", { name: "Moderation" }).click();
    const queue = page.getByRole("navigation", { name: "Report queue" });
    const item = queue.getByTestId("report").filter({ hasText: "Spam or scam: bob" });
    await item.waitFor();
    await expect(item.textContent()).resolves.toContain("reported by alice");
    await item.click();

    await page.getByRole("heading", { name: "Spam or scam: bob" }).waitFor();
    await page.getByText("Reporter's note: he keeps sending these").waitFor();
    await page.getByTestId("verified-count").filter({ hasText: "2 of 2 verified" }).waitFor();
    const messages = page.getByRole("list", { name: "Reported messages" }).getByTestId("report-message");
    await expect(messages.allTextContents()).resolves.toEqual([
      expect.stringContaining("hey, want cheap followers? visit spam.example"),
      expect.stringContaining("look at this offer"),
    ]);
    const reported = messages.filter({ hasText: "Reported message" });
    await expect(reported.textContent()).resolves.toContain("look at this offer");
    await expect(reported.getByText("Verified", { exact: true }).count()).resolves.toBe(1);

    // The image is decrypted in the moderator's page and blurred until the moderator chooses to look.
    const image = reported.getByRole("img", { name: "Reported image offer.png" });
    await image.waitFor();
    await expect(image.getAttribute("class")).resolves.toContain("blurred");
    const toggle = reported.getByRole("button", { name: "Show image offer.png" });
    await toggle.focus();
    await page.keyboard.press("Enter");
    await expect(toggle.getAttribute("aria-pressed")).resolves.toBe("true");
    await expect(image.getAttribute("class")).resolves.not.toContain("blurred");
    expect(await shownSha256(image)).toBe(createHash("sha256").update(png).digest("hex"));
    // The revealed image was checked (no list matches it here) and preserved as evidence.
    const detection = page.getByRole("region", { name: "Known-image detection" });
    await detection.getByText("1 file(s) kept as encrypted evidence").waitFor();
    // Its content is fetched only on request (an audited view) and shown blurred.
    const evidence = detection.getByTestId("evidence").filter({ hasText: "offer.png" });
    await expect(evidence.textContent()).resolves.toMatch(/report attachment.*no list match/);
    await evidence.getByRole("button", { name: "View offer.png (recorded in the audit trail)" }).click();
    const kept = evidence.getByRole("img", { name: "Evidence image offer.png" });
    await kept.waitFor();
    await expect(kept.getAttribute("class")).resolves.toContain("blurred");
    expect(await shownSha256(kept)).toBe(createHash("sha256").update(png).digest("hex"));
    // The page hashes the evidence with the pdq core: the reference hash and quality, and the server's hash.
    const pdq = evidence.getByTestId("evidence-pdq");
    await pdq.waitFor();
    await expect(pdq.textContent()).resolves.toBe(`PDQ in this browser: ${reference.hash}, quality ${reference.quality}; bit for bit the hash the server recorded.`);

    // Account history and risk signals of the reported account.
    const account = page.getByRole("region", { name: "Account: bob" });
    await account.getByTestId("reports-against").filter({ hasText: "1" }).waitFor();
    await account.getByRole("list", { name: "Risk signals" }).waitFor();

    // The decision, with the keyboard-reachable form.
    const decision = page.getByRole("form", { name: "Decision" });
    await decision.getByRole("radio", { name: /^Warn/ }).check();
    await decision.getByLabel("Note for the audit trail (optional)").fill("first spam warning");
    await decision.getByRole("button", { name: "Record decision" }).click();
    await page.getByRole("status").filter({ hasText: "Decision recorded: warn." }).waitFor();
    await account.getByRole("list", { name: "Decisions about bob" }).getByText("first spam warning", { exact: false }).waitFor();

    // The queue's filters: decided reports are no longer open.
    await queue.getByText("No reports match.").waitFor();
    await queue.getByLabel("Status").selectOption("decided");
    await item.filter({ hasText: "Decided" }).waitFor();
    await queue.getByLabel("Reason").selectOption("harassment");
    await queue.getByText("No reports match.").waitFor();
    await queue.getByLabel("Reason").selectOption("");

    // The audit trail has the view and the decision, and its hash chain verifies.
    await page.getByRole("link", { name: "Audit trail" }).click();
    await page.getByTestId("audit-chain").filter({ hasText: "Chain intact" }).waitFor();
    const entries = page.getByTestId("audit-entry");
    await entries.filter({ hasText: "report.decide" }).filter({ hasText: "warn" }).waitFor();
    await entries.filter({ hasText: "report.view" }).first().waitFor();
    await entries.filter({ hasText: "evidence.view" }).first().waitFor();

    // On a phone-sized screen, one pane at a time.
    await page.setViewportSize(PHONE);
    await page.getByRole("link", { name: "Reports" }).click();
    await item.click();
    await page.getByRole("heading", { name: "Spam or scam: bob" }).waitFor();
    await expect(queue.isVisible()).resolves.toBe(false);
    await page.getByRole("button", { name: "Back to reports" }).click();
    await item.waitFor();

    expect([...alice.errors, ...bob.errors, ...mod.errors]).toEqual([]);
  });

  it("a moderator reviews the safety actions the automatic rules took, and lifts them", async () => {
    // Carl, a stranger, writes to Alice and Bob from the CLI; she blocks him, he declines: two refused
    // requests, over this server's threshold of one, and the rule rate-limits Carl for review.
    const carl = tempDir("web-mod-carl");
    await ok(["--profile", carl, "register", "--server", server.url, "--name", "carl", "--birthdate", "1985-05-05"]);
    await ok(["--profile", carl, "send", "alice", "hello stranger"]);
    await ok(["--profile", carl, "send", "bob", "hello stranger"]);
    await alice.page.evaluate(() => (location.hash = "#/")); // back from the console she was refused
    for (const [user, button] of [[alice, "Block carl"], [bob, "Decline"]] as const) {
      await user.conversation("carl").waitFor();
      await user.open("carl");
      const request = user.page.getByRole("region", { name: "Message request" });
      await request.getByRole("button", { name: button }).click();
      await request.waitFor({ state: "detached" });
    }

    const { page } = mod;
    await page.setViewportSize(DESKTOP);
    await page.getByRole("link", { name: "Safety actions" }).click();
    const actions = page.getByRole("article", { name: "Safety actions" });
    const carlsActions = actions.getByTestId("safety-action").filter({ hasText: "carl" });
    await carlsActions.filter({ hasText: "rate-limit" }).waitFor();
    const rows = await carlsActions.allTextContents();
    expect(rows).toHaveLength(2);
    for (const action of ["rate-limit", "review"]) {
      expect(rows).toContainEqual(expect.stringMatching(new RegExp(`carl${action}requests-mostly-refused2 × requests-declined-or-blocked in 24 h \\(over 1\\).*automatic rule`)));
    }
    await carlsActions.first().getByRole("button", { name: "Lift carl's active actions" }).click();
    await actions.getByText("No active safety actions.").waitFor();
    await actions.getByLabel("Include lifted actions").check();
    const lifted = carlsActions.filter({ hasText: "lifted" });
    await lifted.nth(1).waitFor(); // the list reloads after the box is ticked
    await expect(lifted.count()).resolves.toBe(2);

    await page.getByRole("link", { name: "Audit trail" }).click();
    await page.getByTestId("audit-entry").filter({ hasText: "safety.lift" }).waitFor();
    cleanup(carl);
    expect([...alice.errors, ...bob.errors, ...mod.errors]).toEqual([]);
  });

  it("a known image reported from the browser matches a hash list and tops the queue as high priority", async () => {
    // An admin (from the CLI) imports a list holding the PDQ hash of a reference image.
    const known = vectorFile("images", "bridge-mods", "aaa-orig.jpg");
    const ada = tempDir("web-mod-ada");
    const csv = join(ada, "list.csv");
    writeFileSync(csv, `hash,id,label\n${hashToHex((await hashFile(known)).hash)},t-1,test\n`);
    await ok(["--profile", ada, "register", "--server", server.url, "--name", "ada", "--birthdate", "1980-01-01"]);
    await ok(["admin", "grant-admin", "ada", "--data", data]);
    await ok(["--profile", ada, "admin", "hashlist", "import", csv, "--name", "test list", "--source", "Test Org", "--threshold", "31"]);

    // Bob (a contact of Alice's since the first test) sends that image; Alice reports it with the image.
    await bob.open("alice");
    await bob.sendImage("bridge.jpg", readFileSync(known), "remember this one?", "image/jpeg");
    await alice.open("bob");
    await alice.expectMessage("remember this one?");
    await alice.log().getByRole("img", { name: "Image bridge.jpg" }).waitFor();
    await alice.log().getByTestId("message").filter({ hasText: "remember this one?" }).getByRole("button", { name: "Report message from bob" }).click();
    const dialog = alice.page.getByRole("dialog", { name: "Report a message from bob" });
    await dialog.getByRole("radio", { name: "Sexual content involving a child" }).check();
    await dialog.getByRole("button", { name: "Send report" }).click();
    await dialog.getByText("1 attachment was sent to be checked and kept as evidence").waitFor();
    await dialog.getByRole("button", { name: "Close" }).click();

    // The moderator filters the queue to high priority: only this report, flagged by the match.
    const { page } = mod;
    await page.getByRole("link", { name: "Reports" }).click();
    const queue = page.getByRole("navigation", { name: "Report queue" });
    await queue.getByLabel("Status").selectOption("all");
    await queue.getByLabel("Priority").selectOption("high");
    const items = queue.getByTestId("report");
    await items.filter({ hasText: "Child sexual exploitation: bob" }).waitFor();
    await expect(items.allTextContents()).resolves.toEqual([expect.stringMatching(/^High priorityChild sexual exploitation: bob/)]);
    await items.first().click();
    const detection = page.getByRole("region", { name: "Known-image detection" });
    await detection.getByText("Matched a known-image list (report-attachment), priority high.").waitFor();
    const evidence = detection.getByTestId("evidence").filter({ hasText: "matched 1 known-image list entry" });
    await evidence.waitFor();
    // A JPEG: the browser's decoder and libvips may part by a few bits; within PDQ's own tolerance for one picture.
    await evidence.getByRole("button", { name: "View bridge.jpg (recorded in the audit trail)" }).click();
    const pdq = (await evidence.getByTestId("evidence-pdq").textContent()) ?? "";
    const shown = /^PDQ in this browser: [0-9a-f]{64}, quality \d+; (?:bit for bit|(\d+) of 256 bits from) the hash the server recorded\.$/.exec(pdq);
    expect(shown, pdq).not.toBeNull();
    const bits = Number(shown![1] ?? 0);
    console.log(`bridge.jpg decoded by Chromium vs libvips: ${bits} bits apart`);
    expect(bits).toBeLessThanOrEqual(8);
    cleanup(ada);
    expect([...alice.errors, ...bob.errors, ...mod.errors]).toEqual([]);
  });
});
