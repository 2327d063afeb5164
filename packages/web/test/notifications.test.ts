/**
 * Browser notifications in a real browser (real server process, Debian's Chromium): the page's Notification
 * calls are recorded by an init script that still calls the real constructor, so the test sees what the
 * browser was asked to show.
 */
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanup, ServerProcess, tempDir } from "../../cli/test/harness.js";
import { captureScreens, registerAll, DESKTOP, launchBrowser, WebUser } from "./browser.js";

/** Records each notification's title and body on window.shown, then shows it for real. */
const RECORD_NOTIFICATIONS = `{
  const Real = window.Notification;
  window.shown = [];
  window.Notification = class extends Real {
    constructor(title, options) {
      window.shown.push({ title, body: options?.body });
      super(title, options);
    }
  };
}`;

let data: string;
let server: ServerProcess;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;
let carol: WebUser;

const shown = (u: WebUser) => u.page.evaluate(() => (window as unknown as { shown: { title: string; body: string }[] }).shown);

beforeAll(async () => {
  data = tempDir("web-notifications");
  server = new ServerProcess(data);
  await server.start();
  browser = await launchBrowser();
  [alice, bob, carol] = await Promise.all([
    WebUser.open(browser, server.url, "alice", DESKTOP, { permissions: ["notifications"] }, RECORD_NOTIFICATIONS),
    WebUser.open(browser, server.url, "bob"),
    WebUser.open(browser, server.url, "carol"),
  ]);
  await registerAll([alice, bob, carol]);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail") await captureScreens([alice, bob, carol], ctx.task.name);
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  cleanup(data);
});

describe("browser notifications", () => {
  it("off until turned on; then a message into a conversation not on screen notifies, one on screen does not", async () => {
    await bob.startChat("alice", "before notifications were on");
    await carol.startChat("alice", "hello from carol");
    await alice.conversation("bob").waitFor();
    await alice.conversation("carol").waitFor();
    await expect(shown(alice)).resolves.toEqual([]);

    await alice.page.getByRole("checkbox", { name: "Notifications" }).check();
    await alice.page.getByRole("checkbox", { name: "Hide message text" }).waitFor();
    await alice.open("carol");

    await carol.send("carol again, on screen");
    await alice.expectMessage("carol again, on screen");
    await bob.send("bob writes while alice reads carol");
    await alice.page.waitForFunction(() => (window as unknown as { shown: unknown[] }).shown.length > 0);
    await expect(shown(alice)).resolves.toEqual([{ title: "bob", body: "bob writes while alice reads carol" }]);
  });

  it('"hide message text" shows "New message" instead of the text, and the settings survive a reload', async () => {
    await alice.page.getByRole("checkbox", { name: "Hide message text" }).check();
    await alice.page.reload();
    await alice.waitConnected();
    await expect(alice.page.getByRole("checkbox", { name: "Hide message text" }).isChecked()).resolves.toBe(true);

    await bob.send("a secret alice's screen must not show");
    await alice.page.waitForFunction(() => (window as unknown as { shown: unknown[] }).shown.length > 0);
    await expect(shown(alice)).resolves.toEqual([{ title: "bob", body: "New message" }]);
    expect(alice.errors).toEqual([]);
  });
});
