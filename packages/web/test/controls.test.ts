/**
 * Replies, reactions, receipts and typing in real browsers (real server process, Debian's Chromium, MLS in
 * the page), asserted on what each person's screen shows (docs/messaging.md).
 */
import type { Browser, Locator } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanup, ServerProcess, tempDir } from "../../cli/test/harness.js";
import { captureScreens, launchBrowser, WebUser } from "./browser.js";
import { hasDatabase, plaintextsFound } from "./plaintext.js";

let data: string;
let server: ServerProcess;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;
const typed: string[] = [];
const say = (t: string) => (typed.push(t), t);

/** The message whose own text (not a quote of it) is `text`. */
const message = (u: WebUser, text: string): Locator =>
  u.log().getByTestId("message").filter({ has: u.page.locator(".text", { hasText: text }) }).last();
const statusOf = (u: WebUser, text: string) => message(u, text).locator(".receipt-mark");

beforeAll(async () => {
  data = tempDir("web-controls");
  server = new ServerProcess(data);
  await server.start();
  browser = await launchBrowser();
  [alice, bob] = await Promise.all([WebUser.open(browser, server.url, "alice"), WebUser.open(browser, server.url, "bob")]);
  await Promise.all([alice.register(), bob.register()]);
  await Promise.all([alice.waitConnected(), bob.waitConnected()]);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail") await captureScreens([alice, bob], ctx.task.name);
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  cleanup(data);
});

describe("replies, reactions, receipts and typing in the browser", () => {
  it("a reply quotes its target on both screens; a request gets no receipts (✓ only)", async () => {
    await alice.startChat("bob", say("hello bob, a question for you"));
    await bob.conversation("alice").waitFor();
    await bob.open("alice");
    await bob.expectMessage("hello bob, a question for you");
    await message(bob, "hello bob, a question for you").getByRole("button", { name: "Reply to alice" }).click();
    await bob.page.getByRole("form", { name: "Send a message" }).getByLabel("Replying to alice").waitFor();
    await bob.send(say("here is my answer"));
    await expect(message(bob, "here is my answer").getByLabel("Reply to alice").textContent()).resolves.toContain("hello bob, a question for you");
    await alice.expectMessage("here is my answer");
    await expect(message(alice, "here is my answer").getByLabel("Reply to You").textContent()).resolves.toContain("hello bob, a question for you");
    // Bob saw alice's first message while it was a pending request: his app sent no receipt for it.
    await expect(statusOf(alice, "hello bob, a question for you").getAttribute("aria-label")).resolves.toBe("Sent");
  });

  it("✓✓ then read once the open conversation shows it", async () => {
    await alice.send(say("did it arrive?"));
    await statusOf(alice, "did it arrive?").and(alice.page.getByLabel("Read")).waitFor();
    await expect(statusOf(alice, "did it arrive?").textContent()).resolves.toBe("✓✓");
  });

  it("the other person sees the typing indicator while the box has text, and not after", async () => {
    const indicator = bob.page.getByText("alice is typing…");
    await alice.page.getByRole("textbox", { name: "Message" }).pressSequentially("still typ");
    await indicator.waitFor();
    await alice.page.getByRole("textbox", { name: "Message" }).fill("");
    await indicator.waitFor({ state: "detached" });
  });

  it("typing indicators turned off: typing sends nothing, and the choice survives a reload", async () => {
    const choice = () => alice.page.getByLabel("Typing indicators");
    await expect(choice().inputValue()).resolves.toBe("everyone"); // an adult's default
    await choice().selectOption("off");
    const posted: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => void (r.method() === "POST" && posted.push(r.url()));
    alice.page.on("request", onRequest);
    await alice.page.getByRole("textbox", { name: "Message" }).pressSequentially("quietly typ");
    // Typing sent within a few milliseconds when on (the test above); a second is ample to see none go.
    await alice.page.waitForTimeout(1000);
    alice.page.off("request", onRequest);
    expect(posted).toEqual([]);
    await alice.page.getByRole("textbox", { name: "Message" }).fill("");
    await alice.page.reload();
    await alice.page.getByTestId("me").filter({ hasText: "alice" }).waitFor();
    await expect.poll(() => choice().inputValue()).toBe("off");
    await choice().selectOption("everyone");
    await alice.page.getByRole("heading", { name: "bob", exact: true }).waitFor();
  });

  it("a reaction shows as a chip on both screens; tapping your own takes it back", async () => {
    await message(bob, "did it arrive?").getByRole("button", { name: "React" }).click();
    await bob.page.getByRole("button", { name: "React with 👍" }).click();
    const atAlice = message(alice, "did it arrive?").getByRole("button", { name: "👍 from bob" });
    await atAlice.waitFor();
    await expect(atAlice.textContent()).resolves.toBe("👍 1");
    const mine = message(bob, "did it arrive?").getByRole("button", { name: "👍 from You" });
    await expect(mine.getAttribute("aria-pressed")).resolves.toBe("true");
    await mine.click();
    await atAlice.waitFor({ state: "detached" });
  });

  it("with read receipts off, bob's screen stops at ✓✓ and alice's does too; the setting survives a reload", async () => {
    await bob.page.getByLabel("Read receipts").uncheck();
    await bob.send(say("receipts are off now"));
    await alice.expectMessage("receipts are off now");
    // Alice has the conversation open and reads it, but bob no longer sees that.
    await statusOf(bob, "receipts are off now").and(bob.page.getByLabel("Delivered")).waitFor();
    await alice.send(say("one more from alice"));
    await bob.expectMessage("one more from alice");
    await statusOf(alice, "one more from alice").and(alice.page.getByLabel("Delivered")).waitFor();
    await bob.page.waitForTimeout(2000);
    await expect(statusOf(alice, "one more from alice").getAttribute("aria-label")).resolves.toBe("Delivered");
    await expect(statusOf(bob, "receipts are off now").getAttribute("aria-label")).resolves.toBe("Delivered");
    await bob.page.reload();
    await bob.page.getByTestId("me").filter({ hasText: "bob" }).waitFor();
    await expect(bob.page.getByLabel("Read receipts").isChecked()).resolves.toBe(false);
  });

  it("a new-messages divider marks where unread messages start", async () => {
    // Bob leaves the conversation (back to the bare list), so what arrives now stays unread.
    await bob.page.goto(server.url);
    await bob.page.getByTestId("me").filter({ hasText: "bob" }).waitFor();
    await alice.send(say("unread while bob is away"));
    await bob.conversation("alice").locator(".unread").waitFor();
    await bob.page.waitForFunction(() => document.title.startsWith("("));
    await bob.open("alice");
    const divider = bob.log().getByRole("separator", { name: "New messages" });
    await divider.waitFor();
    // The divider sits right before the first unread message.
    await expect(bob.log().locator(".new-divider + li").textContent()).resolves.toContain("unread while bob is away");
  });

  it("a disappearing-messages timer set by one member shows on both screens", async () => {
    await alice.page.getByLabel("Disappearing").selectOption({ label: "1 hour" });
    await alice.page.getByRole("status").filter({ hasText: "You set disappearing messages to 1 hour" }).waitFor();
    await bob.page.getByRole("status").filter({ hasText: "alice set disappearing messages to 1 hour" }).waitFor({ timeout: 30_000 });
    await expect(bob.page.getByLabel("Disappearing").inputValue()).resolves.toBe("3600");
    // The change is also a line of both timelines.
    await bob.log().locator(".timer-change").filter({ hasText: "alice set disappearing messages to 1 hour" }).waitFor();
    await alice.log().locator(".timer-change").filter({ hasText: "You set disappearing messages to 1 hour" }).waitFor();
  });

  it("a browser whose store predates receipts (IndexedDB version 1) upgrades and keeps them", async () => {
    const context = await browser.newContext();
    // Runs before the app: lays out the version-1 database exactly as the first release created it.
    await context.addInitScript(() => {
      const req = indexedDB.open("safelight", 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore("kv");
        db.createObjectStore("keyPackages", { keyPath: "ref" });
        db.createObjectStore("groups", { keyPath: "groupId" }).createIndex("peer", "peerAccountId");
        db.createObjectStore("accounts", { keyPath: "accountId" });
        db.createObjectStore("processed");
        const messages = db.createObjectStore("messages", { keyPath: "n", autoIncrement: true });
        messages.createIndex("id", "id", { unique: true });
        messages.createIndex("group", ["groupId", "n"]);
        db.createObjectStore("files");
      };
      req.onsuccess = () => req.result.close();
    });
    const page = await context.newPage();
    await page.goto(server.url);
    const dora = await WebUser.attach(page, "dora");
    await dora.register();
    await dora.startChat("bob", say("dora on an upgraded store"));
    // Bob answers with a reaction; dora's upgraded store keeps it (the `events` store version 2 added).
    await bob.conversation("dora").waitFor();
    await bob.open("dora");
    await message(bob, "dora on an upgraded store").getByRole("button", { name: "React" }).click();
    await bob.page.getByRole("button", { name: "React with 🙏" }).click();
    const chip = message(dora, "dora on an upgraded store").getByRole("button", { name: "🙏 from bob" });
    await chip.waitFor();
    await page.reload();
    await dora.open("bob");
    await chip.waitFor();
    expect(await page.evaluate(async () => (await indexedDB.databases()).find((d) => d.name === "safelight")?.version)).toBe(2);
    expect(dora.errors).toEqual([]);
    await context.close();
  });

  it("the server holds none of it in the clear, and no page failed", async () => {
    expect(hasDatabase(data)).toBe(true);
    expect(plaintextsFound(data, server.log, [...typed, "👍", "🙏"])).toEqual([]);
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });
});
