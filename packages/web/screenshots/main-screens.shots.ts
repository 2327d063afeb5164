/** Screenshots of the main screens for docs/screenshots/, taken from a real server and real browsers. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, it } from "vitest";
import { cleanup, ServerProcess, tempDir } from "../../cli/test/harness.js";
import { launchBrowser, PHONE, WebUser } from "../test/browser.js";
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
  await alice.send("Perfect, see you at the station");

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
