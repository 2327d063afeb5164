/**
 * The key-transparency state in the browser's store (IndexedDbClientStore, docs/key-transparency.md):
 * the web app checks the proofs on the directory answers it uses and keeps the newest verified head and
 * its monitor position in IndexedDB, across a reload. Real server process, Debian's Chromium.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { issueGhostLinkCode, queryTestStore } from "@safelight/server/testing";
import { join } from "node:path";
import { cleanup, ok, ServerProcess, tempDir } from "../../cli/test/harness.js";
import { launchBrowser, WebUser } from "./browser.js";

let data: string;
let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  data = tempDir("web-kt-data");
  server = new ServerProcess(data);
  await server.start();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  cleanup(data);
});

interface StoredKt {
  head?: { treeSize: number; rootHash: string };
  checked: number;
  known: string[];
}

/** The KtState the page's IndexedDbClientStore holds (database "safelight", object store "kv"). */
function storedKt(user: WebUser): Promise<StoredKt | undefined> {
  return user.page.evaluate(
    () =>
      new Promise<StoredKt | undefined>((done, fail) => {
        const open = indexedDB.open("safelight");
        open.onerror = () => fail(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction(["kv"], "readonly").objectStore("kv").get("keyTransparency");
          get.onsuccess = () => done(get.result as StoredKt | undefined);
          get.onerror = () => fail(get.error);
        };
      }),
  );
}

it("keeps the newest verified head and the monitor's position in IndexedDB, across a reload", async () => {
  const [alice, bob] = await Promise.all([WebUser.open(browser, server.url, "ktalice"), WebUser.open(browser, server.url, "ktbob")]);
  await alice.register();
  await bob.register();
  await alice.startChat("ktbob", "hello through a checked directory");
  await expect.poll(async () => (await storedKt(alice))?.head?.treeSize, { timeout: 30_000 }).toBe(2);
  // Bob's app synced for the Welcome and monitored the whole log, his own device accepted.
  await expect.poll(async () => (await storedKt(bob))?.checked, { timeout: 30_000 }).toBe(2);
  expect((await storedKt(bob))!.known).toHaveLength(1);
  const head = (await (await fetch(`${server.url}/v1/kt/head`)).json()) as { treeSize: number; rootHash: string };
  // With the API cut off, the reloaded page cannot sync (and move the monitor on): what it shows is
  // what IndexedDB kept. The page and its scripts still load.
  await alice.page.route("**/v1/**", (route) => route.abort());
  const before = (await storedKt(alice))!;
  expect(before.head!.rootHash).toBe(head.rootHash);
  await alice.page.reload();
  await alice.page.getByTestId("me").filter({ hasText: "ktalice" }).waitFor();
  expect(await storedKt(alice)).toMatchObject({ head: before.head, checked: before.checked });
  await alice.page.unroute("**/v1/**");
  expect(before.checked).toBeGreaterThan(0);
  expect(alice.errors).toEqual([]);
});

it("shows an alarm when a device this browser did not link appears on the account (a ghost)", async () => {
  const bob = await WebUser.open(browser, server.url, "ktghostbob");
  await bob.register();
  await expect.poll(async () => (await storedKt(bob))?.known.length, { timeout: 30_000 }).toBe(1);
  const [owner] = await queryTestStore<{ accountId: string; deviceId: string }>(
    data,
    `SELECT d.account_id AS "accountId", d.device_id AS "deviceId" FROM devices d JOIN accounts a ON a.account_id = d.account_id WHERE a.name = 'ktghostbob'`,
  );
  // The server plays compromised: a link code no device of bob's asked for, used by a device it controls.
  const code = await issueGhostLinkCode(data, owner!);
  const ghostProfile = join(data, "ghost-profile");
  await ok(["--profile", ghostProfile, "link-device", "--server", server.url, "--code", code]);
  const ghost = /\(account (\S+), device (\S+)\)/.exec(await ok(["--profile", ghostProfile, "whoami"]))!;
  const alarm = bob.page.getByRole("dialog", { name: "A new device was added to your account" });
  await alarm.waitFor({ timeout: 30_000 });
  await expect.poll(() => alarm.getByRole("alert").textContent()).toContain(ghost[2]);
  await alarm.getByRole("button", { name: "I understand" }).click();
  await alarm.waitFor({ state: "hidden" });
  expect(bob.errors).toEqual([]);
});
