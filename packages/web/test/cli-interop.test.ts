/**
 * A browser user and a CLI user talk to each other through the same real server: text both ways and images
 * both ways, each decrypted on the receiving side only. The CLI is the real `safelight` bin.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanup, ok, ServerProcess, syncJson, tempDir } from "../../cli/test/harness.js";
import { captureScreens, launchBrowser, WebUser } from "./browser.js";
import { hasDatabase, plaintextsFound } from "./plaintext.js";
import { makePng } from "./png.js";

let data: string;
let profiles: string;
let server: ServerProcess;
let browser: Browser;
let wendy: WebUser;
const carl = () => join(profiles, "carl");
const cleo = () => join(profiles, "cleo");
const typed: string[] = [];
const say = (t: string) => (typed.push(t), t);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  data = tempDir("web-cli-data");
  profiles = tempDir("web-cli-profiles");
  server = new ServerProcess(data);
  await server.start();
  browser = await launchBrowser();
  wendy = await WebUser.open(browser, server.url, "wendy");
  await Promise.all([
    wendy.register(),
    ok(["--profile", carl(), "register", "--server", server.url, "--name", "carl", "--birthdate", "1985-05-05"]),
    ok(["--profile", cleo(), "register", "--server", server.url, "--name", "cleo", "--birthdate", "1987-07-07"]),
  ]);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail") await captureScreens([wendy], ctx.task.name);
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  cleanup(data, profiles);
});

describe("browser user and CLI user", () => {
  it("a CLI user and a browser user talk to each other", async () => {
    await ok(["--profile", carl(), "send", "wendy", say("hello wendy, this is carl in a terminal")]);
    await wendy.conversation("carl").waitFor();
    await wendy.open("carl");
    await wendy.expectMessage("hello wendy, this is carl in a terminal");
    // Carl is a stranger to Wendy: his first message is a request she may accept, decline or block.
    const request = wendy.page.getByRole("region", { name: "Message request" });
    await request.getByText("carl wants to message you").waitFor();
    await request.getByRole("button", { name: "Accept" }).click();
    await request.waitFor({ state: "detached" });

    await wendy.send(say("hi carl, wendy here in the browser"));
    const atCarl = await syncJson(carl(), 15);
    expect(atCarl.map((m) => [m.from, m.text, m.kind])).toEqual([["wendy", "hi carl, wendy here in the browser", "direct"]]);
  });

  it("an image sent from the browser arrives decrypted and byte-identical at the CLI user", async () => {
    const marker = say("BROWSER-IMAGE-MARKER-5d21");
    const png = makePng(96, 64, marker, 0);
    await wendy.sendImage("from-browser.png", png, say("a picture from the browser"));
    const got = await syncJson(carl(), 15);
    expect(got.map((m) => m.text)).toEqual(["a picture from the browser"]);
    const path = got[0]!.files![0]!.path!;
    expect(path).toMatch(/from-browser\.png$/);
    expect(sha256(readFileSync(path))).toBe(sha256(png));
  });

  it("an image sent from the CLI shows decrypted in the browser, with a preview", async () => {
    const marker = say("CLI-IMAGE-MARKER-9c07");
    const png = makePng(120, 80, marker, 60);
    const file = join(profiles, "from-cli.png");
    writeFileSync(file, png);
    await ok(["--profile", carl(), "send", "wendy", say("a picture from the terminal"), "--file", file]);
    await wendy.expectMessage("a picture from the terminal");
    const shown = await wendy.imageDigest("from-cli.png");
    expect(shown).toEqual({ sha256: sha256(png), width: 120 });
    expect(wendy.errors).toEqual([]);
  });

  it("replying to a message request in the browser accepts it: the withheld image opens, and later ones arrive", async () => {
    const first = makePng(64, 48, say("REQUEST-IMAGE-MARKER-3a91"), 20);
    const second = makePng(72, 40, say("AFTER-REPLY-IMAGE-MARKER-6b02"), 90);
    writeFileSync(join(profiles, "first.png"), first);
    writeFileSync(join(profiles, "second.png"), second);
    await ok(["--profile", cleo(), "send", "wendy", say("hi wendy, cleo from the book club"), "--file", join(profiles, "first.png")]);
    await wendy.conversation("cleo").waitFor();
    await wendy.open("cleo");
    await wendy.expectMessage("hi wendy, cleo from the book club");
    const request = wendy.page.getByRole("region", { name: "Message request" });
    await request.getByText("cleo wants to message you").waitFor();

    // No Accept: Wendy just answers, which is consent.
    await wendy.send(say("hi cleo, good to hear from you"));
    await request.waitFor({ state: "detached" });
    await expect(wendy.imageDigest("first.png")).resolves.toEqual({ sha256: sha256(first), width: 64 });

    await ok(["--profile", cleo(), "send", "wendy", say("the photo from the meeting"), "--file", join(profiles, "second.png")]);
    await wendy.expectMessage("the photo from the meeting");
    await expect(wendy.imageDigest("second.png")).resolves.toEqual({ sha256: sha256(second), width: 72 });
    const atCleo = await syncJson(cleo(), 15);
    expect(atCleo.map((m) => [m.from, m.text])).toEqual([["wendy", "hi cleo, good to hear from you"]]);
    expect(wendy.errors).toEqual([]);
  });

  it("the server's stored data holds none of the texts or image contents", () => {
    expect(hasDatabase(data)).toBe(true);
    expect(plaintextsFound(data, server.log, typed)).toEqual([]);
  });
});
