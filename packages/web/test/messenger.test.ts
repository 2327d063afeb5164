/**
 * The messenger end to end in a real browser: real server process, Debian's Chromium, MLS in the page.
 * People act only through the UI, and the test asserts on what their screens show.
 */
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanup, ServerProcess, tempDir } from "../../cli/test/harness.js";
import { captureScreens, launchBrowser, PHONE, WebUser } from "./browser.js";
import { hasDatabase, plaintextsFound } from "./plaintext.js";

let data: string;
let server: ServerProcess;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;
let carol: WebUser;
let alice2: WebUser | undefined;
const typed: string[] = [];
const say = (t: string) => (typed.push(t), t);

beforeAll(async () => {
  data = tempDir("web-data");
  server = new ServerProcess(data);
  await server.start();
  browser = await launchBrowser();
  [alice, bob] = await Promise.all([WebUser.open(browser, server.url, "alice"), WebUser.open(browser, server.url, "bob")]);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail") await captureScreens([alice, bob, carol, alice2], ctx.task.name);
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  cleanup(data);
});

describe("web messenger (two and three people in browsers)", () => {
  it("two people register and talk 1:1, live, with unread counts", async () => {
    await Promise.all([alice.register(), bob.register()]);
    await Promise.all([alice.waitConnected(), bob.waitConnected()]);

    await alice.startChat("bob", say("hi bob, this is alice in a browser"));
    // Bob did nothing: the conversation and the message arrive over the WebSocket.
    await bob.conversation("alice").waitFor();
    await expect.poll(() => bob.unreadBadge("alice")).toBe("1 unread");
    await bob.open("alice");
    await bob.expectMessage("hi bob, this is alice in a browser");
    await bob.conversation("alice").locator(".unread").waitFor({ state: "detached" });

    await bob.send(say("hello alice, bob here"));
    await alice.expectMessage("hello alice, bob here");
    await alice.send(say("great, it is live"));
    await bob.expectMessage("great, it is live");
    expect(await bob.messageTexts()).toEqual(["hi bob, this is alice in a browser", "hello alice, bob here", "great, it is live"]);
  });

  it("a third person joins a group; members can be added and removed", async () => {
    // Carol is on a phone-sized screen: one pane at a time.
    carol = await WebUser.open(browser, server.url, "carol", PHONE);
    await carol.register();
    const title = say("Weekend plans group");
    await alice.createGroup(title, ["bob"]);
    await alice.send(say("who is in for a hike?"));
    await bob.conversation(title).waitFor();
    await bob.open(title);
    await bob.expectMessage("who is in for a hike?");

    await alice.page.getByRole("button", { name: "Members" }).click();
    const members = alice.page.getByRole("dialog", { name: `Members of ${title}` });
    await members.getByLabel("Add a member by name").fill("carol");
    await members.getByRole("button", { name: "Add", exact: true }).click();
    await members.getByRole("list", { name: "Members" }).getByText("carol", { exact: true }).waitFor();
    await members.getByRole("button", { name: "Close" }).click();

    await alice.send(say("carol, welcome to the group"));
    await carol.conversation(title).waitFor();
    await carol.open(title);
    await carol.expectMessage("carol, welcome to the group");
    await expect(carol.page.getByRole("navigation", { name: "Conversations" }).isVisible()).resolves.toBe(false);
    // History from before she joined is not hers to read (MLS: no keys for earlier epochs).
    expect(await carol.messageTexts()).toEqual(["carol, welcome to the group"]);
    await carol.send(say("thanks, count me in"));
    await Promise.all([alice.expectMessage("thanks, count me in"), bob.expectMessage("thanks, count me in")]);
    // Group messages name their sender.
    await bob.log().getByTestId("message").filter({ hasText: "thanks, count me in" }).getByText("carol").waitFor();

    await bob.page.getByRole("button", { name: "Members" }).click();
    const bobMembers = bob.page.getByRole("dialog", { name: `Members of ${title}` });
    await bobMembers.getByRole("button", { name: "Remove carol" }).click();
    await bobMembers.getByRole("button", { name: "Remove carol" }).waitFor({ state: "detached" });
    await bobMembers.getByRole("button", { name: "Close" }).click();
    await carol.page.getByText("You are no longer a member of this conversation.").waitFor();
    await expect(carol.page.getByRole("textbox", { name: "Message" }).isDisabled()).resolves.toBe(true);
    await bob.send(say("carol has left"));
    await alice.expectMessage("carol has left");
    await carol.page.getByRole("button", { name: "Back to conversations" }).click();
    await carol.conversation(title).waitFor();
  });

  it("works with the keyboard alone", async () => {
    const { page } = carol;
    await page.getByRole("button", { name: "New chat" }).focus();
    await page.keyboard.press("Enter");
    // The dialog puts focus in its first field; Tab moves on; Enter submits.
    await page.keyboard.type("bob");
    await page.keyboard.press("Tab");
    await page.keyboard.type(say("typed without a mouse"));
    await page.keyboard.press("Enter");
    await carol.expectMessage("typed without a mouse");
    await page.keyboard.type(say("and sent with Enter"));
    await page.keyboard.press("Enter");
    await bob.conversation("carol").waitFor();
    await bob.open("carol");
    await bob.expectMessage("and sent with Enter");
    // Escape closes a dialog.
    await bob.page.getByRole("button", { name: "New group" }).click();
    await bob.page.keyboard.press("Escape");
    await bob.page.getByRole("dialog").waitFor({ state: "detached" });
  });

  it("after a reload, history and keys are still in the browser", async () => {
    await bob.page.reload();
    await bob.page.getByTestId("me").filter({ hasText: "bob" }).waitFor();
    await bob.open("alice");
    // History is read from IndexedDB after the conversation opens: wait for its last message before reading.
    await bob.expectMessage("great, it is live");
    expect(await bob.messageTexts()).toEqual(["hi bob, this is alice in a browser", "hello alice, bob here", "great, it is live"]);
    // The MLS state survived too: Bob can still encrypt to Alice and decrypt her reply.
    await bob.waitConnected();
    await bob.send(say("still here after a reload"));
    await alice.open("bob");
    await alice.expectMessage("still here after a reload");
    await alice.send(say("and I can still reach you"));
    await bob.expectMessage("and I can still reach you");
  });

  it("this browser can be linked as a second device of an existing account", async () => {
    await alice.page.getByRole("button", { name: "Devices" }).click();
    await alice.page.getByRole("button", { name: "Link a new device" }).click();
    const code = (await alice.page.getByTestId("link-code").textContent())!.trim();
    await alice.page.getByRole("dialog", { name: "Devices" }).getByRole("button", { name: "Close" }).click();

    alice2 = await WebUser.open(browser, server.url, "alice");
    await alice2.link(code);
    // Alice's first browser adds the new device to her conversations; then both get new messages.
    await alice2.conversation("bob").waitFor();
    await bob.send(say("do both of alice's browsers see this?"));
    await Promise.all([alice.open("bob"), alice2.open("bob")]);
    await alice2.expectMessage("do both of alice's browsers see this?");
    await alice.expectMessage("do both of alice's browsers see this?");
    // What the new device sends, the old one sees as its own.
    await alice2.send(say("sent from alice's second browser"));
    await bob.expectMessage("sent from alice's second browser");
    await alice.expectMessage("sent from alice's second browser");
    expect(alice2.errors).toEqual([]);
  });

  it("shows the connection state, reconnects after a server restart, and catches up", async () => {
    await server.kill("SIGKILL");
    await alice.connection().filter({ hasText: "Offline" }).waitFor();
    await server.start();
    await Promise.all([alice.waitConnected(), bob.waitConnected()]);
    // Each test opens the conversation it reads, so one failure does not cascade into the next.
    await Promise.all([alice.open("bob"), bob.open("alice")]);
    await bob.send(say("back after the restart"));
    await alice.expectMessage("back after the restart");
    expect([...alice.errors, ...bob.errors, ...carol.errors]).toEqual([]);
  });

  it("the server's stored data holds none of the texts sent from browsers", () => {
    expect(hasDatabase(data)).toBe(true);
    expect(typed.length).toBeGreaterThan(10);
    expect(plaintextsFound(data, server.log, typed)).toEqual([]);
  });
});

describe("reporting from the browser", () => {
  // After the no-plaintext check on purpose: a report discloses the reported messages to the moderators.
  it("a received message can be reported, and the server verifies who sent it", async () => {
    await Promise.all([alice.open("bob"), bob.open("alice")]);
    await bob.log().getByTestId("message").filter({ hasText: "back after the restart" }).waitFor();
    await alice.send("this one gets reported");
    await bob.expectMessage("this one gets reported");
    await bob.page.getByRole("button", { name: "Report message from alice" }).last().click();
    const dialog = bob.page.getByRole("dialog", { name: "Report a message from alice" });
    await dialog.getByRole("radio", { name: "Spam or scam" }).check();
    await dialog.getByLabel(/Anything the moderators should know/).fill("test report");
    await dialog.getByRole("button", { name: "Send report" }).click();
    const status = dialog.getByRole("status");
    await status.waitFor();
    expect(await status.textContent()).toMatch(/Report sent\. The moderators can verify [1-9]\d* messages? as really sent/);
    await dialog.getByRole("button", { name: "Close" }).click();
  });
});
