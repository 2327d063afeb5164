/** Screenshots of the main screens for docs/screenshots/, taken from a real server and real browsers. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, it } from "vitest";
import { setAccountRole } from "@safelight/server";
import { cleanup, ServerProcess, tempDir } from "../../cli/test/harness.js";
import { DESKTOP, launchBrowser, PHONE, WebUser } from "../test/browser.js";
import { makePng } from "../test/png.js";

const OUT = fileURLToPath(new URL("../../../docs/screenshots/", import.meta.url));
let data: string;
let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  data = tempDir("shots");
  server = new ServerProcess(data);
  await server.start();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  cleanup(data);
});

const shot = (u: WebUser, name: string) => u.page.screenshot({ path: join(OUT, name), animations: "disabled", caret: "hide" });

it("writes the main screens", async () => {
  const alice = await WebUser.open(browser, server.url, "alice");
  const bob = await WebUser.open(browser, server.url, "bob");
  const carol = await WebUser.open(browser, server.url, "carol", PHONE);
  await alice.page.getByLabel("Name").fill("alice");
  await shot(alice, "01-register.png");
  await Promise.all([alice.register(), bob.register(), carol.register()]);

  await alice.startChat("bob", "Hi Bob! Are we still on for Saturday?");
  await bob.open("alice");
  const request = bob.page.getByRole("region", { name: "Message request" });
  await request.waitFor();
  await shot(bob, "03-message-request.png");
  await request.getByRole("button", { name: "Accept" }).click();
  await request.waitFor({ state: "detached" });
  await bob.send("Yes! Shall we take the train at 9?");
  await alice.expectMessage("Yes! Shall we take the train at 9?");
  await bob.sendImage("trail-map.png", makePng(320, 200, "map", 30), "Here is the trail map");
  await alice.page.getByRole("img", { name: "Image trail-map.png" }).waitFor();
  // A reply, a reaction and read marks (docs/messaging.md) show in 02-chat.
  await alice.log().getByTestId("message").filter({ hasText: "take the train" }).getByRole("button", { name: "Reply to bob" }).click();
  await alice.send("Perfect, see you at the station");
  await bob.expectMessage("Perfect, see you at the station");
  await bob.log().getByTestId("message").filter({ hasText: "see you at the station" }).last().getByRole("button", { name: "React" }).click();
  await bob.page.getByRole("button", { name: "React with ❤️" }).click();
  await alice.page.getByRole("button", { name: "❤️ from bob" }).waitFor();
  await alice.log().locator('.receipt-mark[data-status="read"]').last().waitFor();

  await bob.createGroup("Hiking club", ["alice", "carol"]);
  await bob.send("Welcome to the hiking club, everyone");
  await alice.conversation("Hiking club").waitFor();
  await alice.open("bob");
  await shot(alice, "02-chat.png");

  await alice.open("Hiking club");
  await alice.send("Thanks Bob! Carol, are you coming too?");
  await alice.page.getByRole("button", { name: "Members" }).click();
  await alice.page.getByRole("dialog", { name: /^Members of/ }).getByLabel("Add a member by name").fill("dave");
  await shot(alice, "04-group-members.png");
  await alice.page.getByRole("button", { name: "Close" }).click();

  await alice.page.getByRole("button", { name: "Devices" }).click();
  await alice.page.getByRole("button", { name: "Link a new device" }).click();
  await alice.page.getByTestId("link-code").waitFor();
  await shot(alice, "05-link-device.png");
  await alice.page.getByRole("button", { name: "Close" }).click();

  await carol.conversation("Hiking club").locator(".unread").waitFor();
  await shot(carol, "06-phone-list.png");
  await carol.open("Hiking club");
  await carol.page.getByRole("region", { name: "Message request" }).getByRole("button", { name: "Accept" }).click();
  await carol.send("Count me in!");
  await shot(carol, "07-phone-chat.png");

  await carol.page.getByRole("button", { name: "Report message from alice" }).click();
  await carol.page.getByRole("radio", { name: "Spam or scam" }).check();
  await shot(carol, "09-report.png");
  await carol.page.getByRole("button", { name: "Close" }).click();

  await server.kill("SIGKILL");
  await alice.connection().filter({ hasText: "Offline" }).waitFor();
  await shot(alice, "08-offline.png");
  await server.start();
  await alice.waitConnected();
});

/** Reports one of `from`'s messages (the one containing `text`) from `reporter`'s browser. */
async function report(reporter: WebUser, from: string, text: string, reason: string, note: string): Promise<void> {
  await reporter.conversation(from).waitFor();
  await reporter.open(from);
  await reporter.expectMessage(text);
  await reporter.log().getByTestId("message").filter({ hasText: text }).getByRole("button", { name: `Report message from ${from}` }).click();
  const dialog = reporter.page.getByRole("dialog", { name: `Report a message from ${from}` });
  await dialog.getByRole("radio", { name: reason }).check();
  await dialog.getByLabel(/Anything the moderators should know/).fill(note);
  await dialog.getByRole("button", { name: "Send report" }).click();
  await dialog.getByText("Report sent.").waitFor();
  await dialog.getByRole("button", { name: "Close" }).click();
}

it("writes the moderator console", async () => {
  const [dave, erin, frank, mod] = await Promise.all(
    ["dave", "erin", "frank", "maria"].map((name) => WebUser.open(browser, server.url, name)),
  );
  await Promise.all([dave!, erin!, frank!, mod!].map((u) => u.register()));
  await setAccountRole({ dataDir: data }, "maria", "moderator");

  await dave!.startChat("erin", "hey erin, I saw your photos, you look older than 14");
  await dave!.send("don't tell your parents we talk, ok?");
  await dave!.sendImage("beach.png", makePng(320, 200, "beach", 90), "send me one like this");
  await report(erin!, "dave", "send me one like this", "An adult trying to groom a young person", "He keeps asking for pictures.");
  await dave!.startChat("frank", "Earn $500 a day from home, click crypto-win.example");
  await report(frank!, "dave", "Earn $500 a day", "Spam or scam", "");

  const { page } = mod!;
  await page.reload();
  await page.getByRole("link", { name: "Moderation" }).click();
  const queue = page.getByRole("navigation", { name: "Report queue" });
  await queue.getByTestId("report").nth(1).waitFor();
  await queue.getByTestId("report").filter({ hasText: "Grooming: dave" }).click();
  await page.getByRole("img", { name: "Reported image beach.png" }).waitFor();
  await page.getByRole("region", { name: "Account: dave" }).getByRole("list", { name: "Risk signals" }).waitFor();
  await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete));
  await shot(mod!, "10-mod-report.png");

  const decision = page.getByRole("form", { name: "Decision" });
  await decision.getByRole("radio", { name: /^Escalate/ }).check();
  await decision.getByLabel("Note for the audit trail (optional)").fill("Adult asking a 14-year-old for pictures; escalated.");
  await decision.scrollIntoViewIfNeeded();
  await shot(mod!, "11-mod-decision.png");
  await decision.getByRole("button", { name: "Record decision" }).click();
  await page.getByRole("status").filter({ hasText: "Decision recorded" }).waitFor();

  await page.getByRole("link", { name: "Audit trail" }).click();
  await page.getByTestId("audit-chain").waitFor();
  await shot(mod!, "12-mod-audit.png");

  await page.setViewportSize(PHONE);
  await page.getByRole("link", { name: "Reports" }).click();
  await queue.getByLabel("Status").selectOption("all");
  await queue.getByTestId("report").filter({ hasText: "Decided" }).waitFor();
  await shot(mod!, "13-phone-mod-queue.png");
  await queue.getByTestId("report").filter({ hasText: "Spam or scam: dave" }).click();
  const image = page.getByRole("heading", { name: "Spam or scam: dave" });
  await image.waitFor();
  await page.getByRole("region", { name: "Account: dave" }).getByTestId("reports-against").waitFor();
  await shot(mod!, "14-phone-mod-report.png");
  await page.setViewportSize(DESKTOP);
});
