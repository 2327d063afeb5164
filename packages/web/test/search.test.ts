/**
 * Message search in a real browser (real server process, Debian's Chromium): hits come from the page's own
 * store, and typing the query sends nothing to the server (docs/architecture.md, privacy ledger).
 */
import type { Browser, Request } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanup, ServerProcess, tempDir } from "../../cli/test/harness.js";
import { captureScreens, registerAll, launchBrowser, WebUser } from "./browser.js";

let data: string;
let server: ServerProcess;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;
let carol: WebUser;

beforeAll(async () => {
  data = tempDir("web-search");
  server = new ServerProcess(data);
  await server.start();
  browser = await launchBrowser();
  [alice, bob, carol] = await Promise.all([WebUser.open(browser, server.url, "alice"), WebUser.open(browser, server.url, "bob"), WebUser.open(browser, server.url, "carol")]);
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

describe("message search in the browser", () => {
  it("finds a received message locally, opens its conversation, and no request carries the query", async () => {
    await bob.startChat("alice", "the Rendezvous is at the old lighthouse");
    await carol.startChat("alice", "unrelated note from carol");
    await alice.conversation("bob").waitFor();
    await alice.open("carol");
    await alice.expectMessage("unrelated note from carol");

    const requests: Request[] = [];
    const record = (r: Request) => requests.push(r);
    alice.page.on("request", record);
    const box = alice.page.getByRole("searchbox", { name: "Search messages" });
    await box.pressSequentially("rendezvous", { delay: 30 });
    const hit = alice.page.getByRole("list", { name: "Search results" }).getByTestId("search-hit");
    await hit.filter({ hasText: "the Rendezvous is at the old lighthouse" }).waitFor();
    expect(await hit.count()).toBe(1);
    await expect(hit.locator(".conversation-label").textContent()).resolves.toContain("bob");
    alice.page.off("request", record);

    // The open conversation's own directory lookups may still be running: what matters is that no request,
    // whatever it is for, carries the query (the search runs over this browser's store only).
    const leaks = requests.filter((r) => {
      const sent = `${decodeURIComponent(r.url())} ${r.postDataBuffer()?.toString("latin1") ?? ""}`.toLowerCase();
      return sent.includes("rendezvous");
    });
    expect(leaks.map((r) => r.url())).toEqual([]);

    await hit.click();
    await alice.page.getByRole("heading", { name: "bob", exact: true }).waitFor();
    await alice.expectMessage("the Rendezvous is at the old lighthouse");
    await expect(box.inputValue()).resolves.toBe("");
  });

  it("a query that matches nothing says so", async () => {
    await alice.page.getByRole("searchbox", { name: "Search messages" }).fill("zebra crossing");
    await alice.page.getByText("No messages match.").waitFor();
    expect(alice.errors).toEqual([]);
  });
});
