/** `safelight hash | match | hashlist` through the real built CLI, as a child process. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../bin/safelight.js");
const work = mkdtempSync(join(tmpdir(), "pdq-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The PDQ vectors, read in place ($SAFELIGHT_VECTORS or <repo>/../shared/vectors). */
function pdq(...parts: string[]): string {
  const env = process.env["SAFELIGHT_VECTORS"];
  const root = env ? resolve(env) : resolve(dirname(fileURLToPath(import.meta.url)), "../../../../shared/vectors");
  const path = join(root, "pdq", ...parts);
  if (!existsSync(path)) throw new Error(`PDQ vectors missing: ${path}; set SAFELIGHT_VECTORS`);
  return path;
}

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function expected(csv: string): Map<string, string[]> {
  const lines = readFileSync(pdq("expected", csv), "utf8").split(/\r?\n/).filter(Boolean).slice(1);
  return new Map(lines.map((l) => [l.split(",")[0]!, l.split(",").slice(1)]));
}

describe("safelight hash", () => {
  it("prints HASH,QUALITY,FILE like the reference, full resolution by default and --cli512", () => {
    const files = ["images/bridge-mods/aaa-orig.jpg", "images/misc-images/c.png", "images/misc-images/modes/CMYK.jpg"];
    for (const [flag, csv] of [[[], "fullres.csv"], [["--cli512"], "cli512.csv"]] as const) {
      const r = cli("hash", ...flag, ...files.map((f) => pdq(f)));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      const want = expected(csv);
      expect(r.stdout.trim().split("\n")).toEqual(files.map((f) => `${want.get(f)![0]},${want.get(f)![1]},${pdq(f)}`));
    }
  });

  it("--dihedral prints the 8 hashes in the order orig, rot90, rot180, rot270, flipx, flipy, flipp, flipm", () => {
    const f = "images/bridge-mods/aaa-orig.jpg";
    const r = cli("hash", "--cli512", "--dihedral", pdq(f));
    expect(r.code).toBe(0);
    const [quality, ...hashes] = expected("cli512-dihedral.csv").get(f)!;
    expect(r.stdout.trim()).toBe(`${hashes.join(",")},${quality},${pdq(f)}`);
  });

  it("reads the decoder-free PPM/PGM vectors directly", () => {
    const row = readFileSync(pdq("expected", "canonical.csv"), "utf8").split(/\r?\n/).find((l) => l.includes("small.pgm"))!.split(",");
    const r = cli("hash", pdq(row[0]!));
    expect(r.stdout.trim()).toBe(`${row[5]},${row[6]},${pdq(row[0]!)}`);
  });

  it("bad files: one error line each on stderr, the rest still hashed, non-zero exit", () => {
    const garbage = join(work, "garbage.jpg");
    writeFileSync(garbage, "not an image");
    const truncated = join(work, "truncated.jpg");
    writeFileSync(truncated, readFileSync(pdq("images/misc-images/wee.jpg")).subarray(0, 5_000));
    const dir = join(work, "adir");
    mkdirSync(dir, { recursive: true });
    const good = pdq("images/misc-images/wee.jpg");
    const r = cli("hash", join(work, "missing.png"), garbage, good, dir, truncated, "--max-pixels", "100000", pdq("images/bridge-mods/aaa-orig.jpg"));
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split("\n")).toEqual([`${expected("fullres.csv").get("images/misc-images/wee.jpg")![0]},100,${good}`]);
    const errors = r.stderr.trim().split("\n");
    expect(errors).toEqual([
      `safelight: ${join(work, "missing.png")}: no such file`,
      `safelight: ${garbage}: unsupported or unrecognised image format`,
      `safelight: ${dir}: is a directory`,
      expect.stringMatching(new RegExp(`^safelight: ${truncated}: cannot decode image`)),
      `safelight: ${pdq("images/bridge-mods/aaa-orig.jpg")}: image exceeds the pixel limit of 100000 (possible decompression bomb)`,
      "safelight: 5 of 6 file(s) could not be processed",
    ]);
  });
});

describe("safelight hashlist and match", () => {
  const list = join(work, "list.pdql");
  const fullres = expected("fullres.csv");
  const bridge = fullres.get("images/bridge-mods/aaa-orig.jpg")![0]!;
  const wee = fullres.get("images/misc-images/wee.jpg")![0]!;

  it("import refuses a file with bad rows (naming each line) unless --skip-invalid", () => {
    const csv = join(work, "export.tsv");
    writeFileSync(csv, `signal_value\tsignal_id\ttags\tprivacy_group\n${bridge}\t17\tbridge\tte-1\n${wee.slice(2)}\t18\tx\tte-1\nzz\t19\t\t\n${wee}\t20\twee,small\tte-2\n`);
    const strict = cli("hashlist", "import", "--list", list, csv);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(`safelight: ${csv}:3: bad hash`);
    expect(strict.stderr).toContain("expected 64 hex characters, got 62");
    expect(strict.stderr).toContain(`safelight: ${csv}:4: bad hash "zz"`);
    expect(existsSync(list)).toBe(false);
    const lenient = cli("hashlist", "import", "--skip-invalid", "--list", list, csv);
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(lenient.stdout).toContain("imported 2 hash(es)");
  });

  it("stats summarises the list with provenance", () => {
    const r = cli("hashlist", "stats", "--list", list, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      entries: 2,
      distinctHashes: 2,
      bySource: { "te-1": 1, "te-2": 1 },
      byLabel: { bridge: 1, "wee,small": 1 },
      byOrigin: { "export.tsv": 2 },
    });
  });

  it("match prints each file's hash and the entries within the distance, exit 0 with or without matches", () => {
    const variant = pdq("images/bridge-mods/blur-a-lot.jpg");
    const other = pdq("images/reg-test-input/labelme-subset/q0122.jpg");
    const r = cli("match", "--list", list, variant, other);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe(`${fullres.get("images/bridge-mods/blur-a-lot.jpg")![0]},100,${variant}`);
    expect(lines[1]).toMatch(new RegExp(`^  match,\\d+,${bridge},17,bridge,te-1$`));
    expect(lines[2]).toBe(`${fullres.get("images/reg-test-input/labelme-subset/q0122.jpg")![0]},100,${other}`);
    expect(lines).toHaveLength(3);
    // --distance 0: the variant no longer matches.
    const strict = cli("match", "--list", list, "--distance", "0", variant);
    expect(strict.stdout.trim().split("\n")).toHaveLength(1);
    // Quoted label with a comma, from a plain CSV list used directly.
    const m = cli("match", "--list", list, pdq("images/misc-images/wee.jpg"));
    expect(m.stdout).toContain(`  match,0,${wee},20,"wee,small",te-2`);
  });

  it("match errors: a missing list and a bad distance are errors; a bad image is one line", () => {
    expect(cli("match", "--list", join(work, "none.pdql"), pdq("images/misc-images/wee.jpg")).code).toBe(1);
    expect(cli("match", "--list", list, "--distance", "-3", pdq("images/misc-images/wee.jpg")).code).not.toBe(0);
    const r = cli("match", "--list", list, join(work, "nothing.jpg"), pdq("images/misc-images/wee.jpg"));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("  match,0,");
    expect(r.stderr).toContain(`safelight: ${join(work, "nothing.jpg")}: no such file`);
  });
});
