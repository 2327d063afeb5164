/**
 * The verification screen in a real browser (docs/safety-numbers.md): two people compare safety numbers,
 * each pastes the other's and marks them verified; the web app's number is the one the CLI and the SDK
 * compute for the same pair. Real server process, Debian's Chromium, the real `safelight` bin.
 */
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SafelightClient } from "@safelight/client";
import { SqliteClientStore } from "@safelight/client/node";
import { cleanup, ok, run, ServerProcess, tempDir } from "../../cli/test/harness.js";
import { captureScreens, launchBrowser, WebUser } from "./browser.js";

let data: string;
let profiles: string;
let server: ServerProcess;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;
const carl = () => join(profiles, "carl");

/** Opens the verification screen from the conversation header; returns the dialog. */
async function openVerify(user: WebUser, peer: string) {
  await user.open(peer);
  await user.page.getByRole("button", { name: "Verify", exact: true }).click();
  const dialog = user.page.getByRole("dialog", { name: `Verify ${peer}` });
  await dialog.getByTestId("verification-status").filter({ hasText: peer }).waitFor();
  return dialog;
}

const digitsOn = async (dialog: Awaited<ReturnType<typeof openVerify>>) =>
  ((await dialog.getByTestId("safety-number").textContent()) ?? "").replace(/\s+/g, "");

beforeAll(async () => {
  data = tempDir("web-verify-data");
  profiles = tempDir("web-verify-profiles");
  server = new ServerProcess(data);
  await server.start();
  browser = await launchBrowser();
  [alice, bob] = await Promise.all([WebUser.open(browser, server.url, "alice"), WebUser.open(browser, server.url, "bob")]);
  await Promise.all([
    alice.register(),
    bob.register(),
    ok(["--profile", carl(), "register", "--server", server.url, "--name", "carl", "--birthdate", "1985-05-05"]),
  ]);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail") await captureScreens([alice, bob], ctx.task.name);
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  cleanup(data, profiles);
});

describe("verification screen", () => {
  it("two people see the same number, paste each other's and mark each other verified", async () => {
    await alice.startChat("bob", "let us compare safety numbers");
    await bob.conversation("alice").waitFor();
    const [onAlice, onBob] = await Promise.all([openVerify(alice, "bob"), openVerify(bob, "alice")]);
    const [a, b] = await Promise.all([digitsOn(onAlice), digitsOn(onBob)]);
    expect(a).toMatch(/^\d{60}$/);
    expect(b).toBe(a);
    expect(await onAlice.getByRole("img", { name: /QR code/ }).getAttribute("src")).toMatch(/^data:image\/png;base64,/);
    await expect(onAlice.getByTestId("verification-status").textContent()).resolves.toBe("bob is not verified");

    // A wrong number is refused and nothing is stored.
    const wrong = a.slice(0, 59) + String((Number(a[59]) + 1) % 10);
    await onAlice.getByLabel("bob's number or code").fill(wrong);
    await onAlice.getByRole("button", { name: "Mark verified" }).click();
    await onAlice.getByRole("alert").filter({ hasText: /does not match/ }).waitFor();
    await expect(onAlice.getByTestId("verification-status").textContent()).resolves.toBe("bob is not verified");

    // Alice types Bob's digits; Bob pastes Alice's code (what her QR code holds).
    await onAlice.getByLabel("bob's number or code").fill((await onBob.getByTestId("safety-number").textContent())!);
    await onAlice.getByRole("button", { name: "Mark verified" }).click();
    await onAlice.getByTestId("verification-status").filter({ hasText: "bob is verified" }).waitFor();
    await onBob.getByLabel("alice's number or code").fill((await onAlice.getByTestId("safety-payload").textContent())!);
    await onBob.getByRole("button", { name: "Mark verified" }).click();
    await onBob.getByTestId("verification-status").filter({ hasText: "alice is verified" }).waitFor();
    expect([...alice.errors, ...bob.errors]).toEqual([]);
    await Promise.all([onAlice.getByRole("button", { name: "Close" }).click(), onBob.getByRole("button", { name: "Close" }).click()]);
  });

  it("shows the number the CLI and the SDK compute for the same pair", async () => {
    await ok(["--profile", carl(), "send", "alice", "hi alice, carl here"]);
    const onAlice = await openVerify(alice, "carl");
    const web = await digitsOn(onAlice);
    const cli = JSON.parse(await ok(["--profile", carl(), "verify", "alice", "--json"])) as { number: string };
    expect(cli.number).toBe(web);
    const sdk = await new SafelightClient({ store: new SqliteClientStore(join(carl(), "client.db")) }).open();
    try {
      expect((await sdk.safetyNumber("alice")).digits).toBe(web);
    } finally {
      await sdk.close();
    }
    // The CLI accepts the number the web app shows, and refuses another pair's.
    expect((await run(["--profile", carl(), "verify", "alice", "--confirm", (await onAlice.getByTestId("safety-number").textContent())!])).code).toBe(0);
    expect((await run(["--profile", carl(), "verify", "bob", "--confirm", web])).code).not.toBe(0);
    await onAlice.getByRole("button", { name: "Close" }).click();
  });

  it("shows a verified contact's new device in the timeline, with a notice that they are no longer verified", async () => {
    const onAlice = await openVerify(alice, "carl");
    await onAlice.getByLabel("carl's number or code").fill(
      (JSON.parse(await ok(["--profile", carl(), "verify", "alice", "--json"])) as { payload: string }).payload,
    );
    await onAlice.getByRole("button", { name: "Mark verified" }).click();
    await onAlice.getByTestId("verification-status").filter({ hasText: "carl is verified" }).waitFor();
    await onAlice.getByRole("button", { name: "Close" }).click();

    const code = (await ok(["--profile", carl(), "link-device"])).split("\n")[0]!.trim();
    await ok(["--profile", join(profiles, "carl-laptop"), "link-device", "--server", server.url, "--code", code]);
    await ok(["--profile", carl(), "sync"]); // carl's device adds the laptop to the conversation
    const laptop = (JSON.parse(await ok(["--profile", join(profiles, "carl-laptop"), "verify", "alice", "--json"])) as { number: string }).number;

    await alice.log().locator(".device-change").filter({ hasText: /^carl added a device '/ }).first().waitFor(); // alice joined by Welcome: the laptop is the first change she saw
    await alice.page.getByRole("status").filter({ hasText: "carl is no longer verified" }).waitFor();
    const again = await openVerify(alice, "carl");
    await again.getByTestId("verification-status").filter({ hasText: "carl's devices changed since you verified them" }).waitFor();
    expect(await digitsOn(again)).toBe(laptop);

    // Verified contacts only: the next message is held in the page until alice confirms carl's devices.
    await again.getByLabel(/Verified contacts only/).check();
    await again.getByRole("button", { name: "Close" }).click();
    const box = alice.page.getByRole("textbox", { name: "Message" });
    await box.fill("held until confirmed");
    await box.press("Enter");
    await alice.page.getByRole("status").filter({ hasText: "1 message held, not sent: new devices of carl are not confirmed" }).waitFor();
    const texts = async (profile: string) =>
      (await ok(["--profile", profile, "sync", "--json"])).split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { text?: string }).text);
    expect(await texts(carl())).not.toContain("held until confirmed");
    await alice.page.getByRole("button", { name: "Confirm devices and send" }).click();
    await alice.expectMessage("held until confirmed");
    expect(await texts(carl())).toContain("held until confirmed");
    expect(await texts(join(profiles, "carl-laptop"))).toContain("held until confirmed");
    expect(alice.errors).toEqual([]);
  });
});
