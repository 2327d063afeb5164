/**
 * Web-test harness: Debian's Chromium driven by playwright-core (never a downloaded browser), one browser
 * context per person, and helpers that act and assert only through what the page shows.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContextOptions, type Locator, type Page } from "playwright-core";

export const CHROMIUM = process.env.SAFELIGHT_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Generous: MLS key generation runs in the page, and CI is a loaded 2-core machine. */
export const UI_TIMEOUT = 30_000;

export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set SAFELIGHT_CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface Viewport {
  width: number;
  height: number;
}

export const DESKTOP: Viewport = { width: 1100, height: 720 };
export const PHONE: Viewport = { width: 390, height: 780 };

/** One person in their own browser profile (separate IndexedDB, like a separate browser). */
export class WebUser {
  /** Uncaught page errors: a test fails on any. */
  readonly errors: string[] = [];
  /** Console errors and warnings (expected ones too, e.g. while the server is down): shown on failure. */
  readonly console: string[] = [];

  private constructor(
    readonly page: Page,
    readonly name: string,
  ) {
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") this.console.push(m.text().slice(0, 300));
    });
    page.on("pageerror", (e) => this.errors.push(`${e.message} ${e.stack ?? ""}`));
    page.setDefaultTimeout(UI_TIMEOUT);
  }

  /** `context` adds browser-context options (e.g. granted permissions); `initScript` runs before the app. */
  static async open(
    browser: Browser,
    url: string,
    name: string,
    viewport: Viewport = DESKTOP,
    context: BrowserContextOptions = {},
    initScript?: string,
  ): Promise<WebUser> {
    const page = await (await browser.newContext({ viewport, ...context })).newPage();
    if (initScript) await page.addInitScript(initScript);
    const user = new WebUser(page, name);
    await page.goto(url);
    return user;
  }

  /** A person on a page the test prepared itself (e.g. with an init script). */
  static async attach(page: Page, name: string): Promise<WebUser> {
    return new WebUser(page, name);
  }

  async register(birthdate = "1990-01-01"): Promise<void> {
    const form = this.page.getByRole("form", { name: "Create an account" });
    await form.getByLabel("Name").fill(this.name);
    await form.getByLabel("Date of birth").fill(birthdate);
    await form.getByRole("button", { name: "Create account" }).click();
    await this.page.getByTestId("me").filter({ hasText: this.name }).waitFor();
  }

  async link(code: string): Promise<void> {
    await this.page.getByRole("button", { name: /link this browser/ }).click();
    const form = this.page.getByRole("form", { name: "Link this browser to your account" });
    await form.getByLabel("Link code").fill(code);
    await form.getByRole("button", { name: "Link this browser" }).click();
    await this.page.getByTestId("me").filter({ hasText: this.name }).waitFor();
  }

  connection(): Locator {
    return this.page.getByTestId("connection");
  }

  async waitConnected(): Promise<void> {
    await this.connection().filter({ hasText: "Connected" }).waitFor();
  }

  async startChat(peer: string, text: string): Promise<void> {
    await this.page.getByRole("button", { name: "New chat" }).click();
    const dialog = this.page.getByRole("dialog", { name: "New chat" });
    await dialog.getByLabel("To (name)").fill(peer);
    await dialog.getByLabel("First message").fill(text);
    await dialog.getByRole("button", { name: "Start chat" }).click();
    await dialog.waitFor({ state: "detached" });
    await this.expectMessage(text);
  }

  async createGroup(title: string, members: string[]): Promise<void> {
    await this.page.getByRole("button", { name: "New group" }).click();
    const dialog = this.page.getByRole("dialog", { name: "New group" });
    await dialog.getByLabel("Group name").fill(title);
    await dialog.getByLabel(/^Members/).fill(members.join(", "));
    await dialog.getByRole("button", { name: "Create group" }).click();
    await dialog.waitFor({ state: "detached" });
    await this.page.getByRole("heading", { name: title }).waitFor();
  }

  conversation(label: string): Locator {
    return this.page
      .getByRole("navigation", { name: "Conversations" })
      .getByTestId("conversation")
      .filter({ has: this.page.locator(".conversation-label").getByText(label, { exact: true }) });
  }

  async open(label: string): Promise<void> {
    await this.conversation(label).click();
    await this.page.getByRole("heading", { name: label, exact: true }).waitFor();
  }

  log(): Locator {
    return this.page.getByRole("log");
  }

  async send(text: string): Promise<void> {
    const box = this.page.getByRole("textbox", { name: "Message" });
    await box.fill(text);
    await box.press("Enter");
    await this.expectMessage(text);
  }

  async sendImage(name: string, bytes: Uint8Array, caption: string, mimeType = "image/png"): Promise<void> {
    await this.page.getByLabel("Attach an image").setInputFiles({ name, mimeType, buffer: Buffer.from(bytes) });
    await this.page.getByRole("img", { name: `Preview of ${name}` }).waitFor();
    await this.send(caption);
    await this.page.getByRole("log").getByRole("img", { name: `Image ${name}` }).waitFor();
  }

  async expectMessage(text: string): Promise<void> {
    await this.log().getByTestId("message").filter({ hasText: text }).first().waitFor();
  }

  async messageTexts(): Promise<string[]> {
    return (await this.log().locator(".text").allTextContents()).map((t) => t.trim());
  }

  async unreadBadge(label: string): Promise<string | null> {
    const badge = this.conversation(label).locator(".unread");
    return (await badge.count()) ? badge.getAttribute("aria-label") : null;
  }

  /** SHA-256 (hex) of the image a message shows, read back from the page's object URL. */
  async imageDigest(name: string): Promise<{ sha256: string; width: number }> {
    const img = this.log().getByRole("img", { name: `Image ${name}` });
    await img.waitFor();
    await this.page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await img.elementHandle());
    return img.evaluate(async (el: HTMLImageElement) => {
      const bytes = await (await fetch(el.src)).arrayBuffer();
      const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
      return { sha256: [...hash].map((b) => b.toString(16).padStart(2, "0")).join(""), width: el.naturalWidth };
    });
  }
}

/** Registers everyone at once and waits until each is connected. */
export async function registerAll(users: WebUser[]): Promise<void> {
  await Promise.all(users.map((u) => u.register()));
  await Promise.all(users.map((u) => u.waitConnected()));
}

/** On a failing test, keeps what each person's screen showed (under the OS temp dir) and prints the path. */
export async function captureScreens(users: (WebUser | undefined)[], label: string): Promise<void> {
  const { mkdirSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = join(tmpdir(), "safelight-web-failures");
  mkdirSync(dir, { recursive: true });
  for (const [i, u] of users.entries()) {
    if (!u) continue;
    const file = join(dir, `${label.replace(/\W+/g, "_").slice(0, 60)}-${i}-${u.name}.png`);
    await u.page.screenshot({ path: file }).catch(() => undefined);
    console.error(`screen of ${u.name}: ${file}; page errors: ${JSON.stringify(u.errors)}; console: ${JSON.stringify(u.console.slice(-5))}`);
  }
}
