/**
 * Muting (docs/safety.md): the muted account's messages still arrive and are kept, but `sync` does not
 * show them (and marks them `"muted": true` in --json), so muting needs no server support and tells the
 * muted side nothing. The list lives in the profile as mutes.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export class MuteList {
  private readonly file: string;
  private names: Set<string>;

  constructor(profileDir: string) {
    this.file = join(profileDir, "mutes.json");
    let parsed: unknown = [];
    try {
      parsed = JSON.parse(readFileSync(this.file, "utf8"));
    } catch {
      // No list yet (or an unreadable one): nobody is muted.
    }
    this.names = new Set(Array.isArray(parsed) ? parsed.filter((n): n is string => typeof n === "string") : []);
  }

  has(name: string): boolean {
    return this.names.has(name.toLowerCase());
  }

  list(): string[] {
    return [...this.names].sort();
  }

  set(name: string, muted: boolean): void {
    if (muted) this.names.add(name.toLowerCase());
    else this.names.delete(name.toLowerCase());
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileSync(this.file, JSON.stringify(this.list()), { mode: 0o600 });
  }
}
