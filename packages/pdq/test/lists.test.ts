import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  type CsvRow,
  DelimitedParser,
  HashListImporter,
  type ImportedRow,
  type RowError,
  parseDelimited,
  HashList,
  addImported,
  crc32,
  decodeHashList,
  encodeHashList,
  hashToHex,
  importHashList,
} from "../src/index.js";
import { HashListError, importHashListFile, loadHashList, readHashListFile, writeHashListFile } from "../src/node/index.js";
import { vectorFile } from "./vectors.js";

const dir = mkdtempSync(join(tmpdir(), "pdq-lists-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const haystack = readFileSync(vectorFile("images", "reg-test-input", "haystack.txt"), "utf8").split(/\s+/).filter(Boolean);
const A = haystack[0]!;
const B = haystack[1]!;

describe("CSV/TSV import", () => {
  it("reads headerless rows as hash,id,label,source", () => {
    const { rows, errors, header } = importHashList(`${A},t1,csam-a1,ncmec\n${B}\n`);
    expect(header).toBe(false);
    expect(errors).toEqual([]);
    expect(rows.map((r) => [hashToHex(r.hash), r.id, r.label, r.source, r.line])).toEqual([
      [A, "t1", "csam-a1", "ncmec", 1],
      [B, undefined, undefined, undefined, 2],
    ]);
  });

  it("finds columns by header name in a TSV export, ignores others, takes quoted fields and CRLF", () => {
    const text = `signal_id\tcreated\tsignal_value\ttags\tprivacy_group\r\n42\t2024\t${A.toUpperCase()}\t"a, b"\tpg1\r\n`;
    const { rows, errors, header } = importHashList(text);
    expect(header).toBe(true);
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(1);
    expect([hashToHex(rows[0]!.hash), rows[0]!.id, rows[0]!.label, rows[0]!.source, rows[0]!.line]).toEqual([A, "42", "a, b", "pg1", 2]);
  });

  it("reports every bad row by line and still returns the good ones", () => {
    const text = ["hash,id", `${A},1`, `${A.slice(1)},2`, `${A.slice(0, 63)}g,3`, "", "# comment", `,5`, `${B},6`, `${A}0,7`].join("\n");
    const { rows, errors } = importHashList(text);
    expect(rows.map((r) => r.id)).toEqual(["1", "6"]);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 7, 9]);
    expect(errors[0]!.message).toMatch(/expected 64 hex characters, got 63/);
    expect(errors[1]!.message).toMatch(/not hexadecimal/);
    expect(errors[2]!.message).toMatch(/missing hash/);
    expect(errors[3]!.message).toMatch(/got 65/);
  });

  it("reports an unterminated quote", () => {
    const { rows, errors } = importHashList(`${A},1\n${B},"oops\n`);
    expect(rows).toHaveLength(1);
    expect(errors).toEqual([{ line: 2, message: expect.stringMatching(/unterminated/) }]);
  });
});

describe("streaming", () => {
  const sample = [
    "\ufeffhash,id,label",
    `${A},1,"quoted, with comma"`,
    "# a comment line",
    `${B},2,"multi`,
    `line ""label"""`,
    "",
    `nothex,3,x`,
    `${A}\t,4,"unterminated`,
  ].join("\r\n");

  it("gives the same records and line numbers however the text is split into chunks", () => {
    const whole = parseDelimited(sample);
    expect(whole.rows.map((r) => r.line)).toEqual([1, 2, 4, 7]);
    expect(whole.rows[2]!.fields[2]).toBe('multi\r\nline "label"');
    expect(whole.unterminatedQuoteLine).toBe(8);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: sample.length }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...[...cuts].sort((a, b) => a - b), sample.length];
        const rows: CsvRow[] = [];
        const parser = new DelimitedParser((r) => rows.push(r));
        for (let i = 1; i < points.length; i++) parser.push(sample.slice(points[i - 1], points[i]));
        expect(parser.end()).toBe(8);
        expect(rows).toEqual(whole.rows);
      }),
      { numRuns: 200 },
    );
  });

  it("imports a large file from disk in chunks, reporting bad rows by line", async () => {
    const path = join(dir, "big.tsv");
    const lines = ["signal_value\tsignal_id"];
    for (let i = 0; i < 60_000; i++) lines.push(i % 10_000 === 7 ? `bad${i}\t${i}` : `${haystack[i % haystack.length]}\t${i}`);
    writeFileSync(path, lines.join("\n"));
    const rows: ImportedRow[] = [];
    const errors: RowError[] = [];
    await importHashListFile(path, (r) => rows.push(r), (e) => errors.push(e));
    expect(rows).toHaveLength(59_994);
    expect(errors.map((e) => e.line)).toEqual([9, 10_009, 20_009, 30_009, 40_009, 50_009]);
    expect(rows[59_993]).toMatchObject({ id: "59999", line: 60_001 });
    expect(hashToHex(rows[1_000]!.hash)).toBe(haystack[1_001]); // row 7 was the bad one
  });

  it("a header-only or empty file imports nothing without errors", () => {
    for (const text of ["", "hash,id\n", "\n\n# nothing\n"]) {
      const rows: ImportedRow[] = [];
      const importer = new HashListImporter((r) => rows.push(r), (e) => expect.fail(e.message));
      importer.push(text);
      importer.end();
      expect(rows).toEqual([]);
    }
  });
});

describe("binary list file", () => {
  it("round-trips hashes, ids, labels, sources and provenance", async () => {
    const list = new HashList();
    addImported(list, haystack.map((h, i) => `${h},id${i},${i % 3 === 0 ? "lbl" : ""},src${i % 2}`).join("\n"), "hay.csv");
    const path = join(dir, "l.pdql");
    await writeHashListFile(path, list);
    const back = await readHashListFile(path);
    expect(back.size).toBe(haystack.length);
    for (const i of [0, 1, 500, haystack.length - 1]) expect(back.entry(i)).toEqual(list.entry(i));
    expect(back.entry(3)).toMatchObject({ hex: haystack[3], id: "id3", label: "lbl", source: "src1", origin: "hay.csv", line: 4 });
    expect(back.entry(1).label).toBeUndefined();
    expect(back.stats()).toEqual(list.stats());
    expect(back.stats().bySource).toEqual({ src0: 675, src1: 675 });
  });

  it("checksums with the zlib CRC-32, so files written before the pure codec still load", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926); // the CRC-32 check value
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => crc32(bytes) === zlibCrc32(bytes) >>> 0));
  });

  it("rejects truncated and corrupted files with a clear message", () => {
    const list = new HashList();
    addImported(list, `${A},x\n${B},y\n`, "t.csv");
    const bytes = encodeHashList(list);
    expect(() => decodeHashList(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated or corrupt/);
    const flipped = bytes.slice();
    flipped[30] = flipped[30]! ^ 1;
    expect(() => decodeHashList(flipped)).toThrow(/checksum/);
    expect(() => decodeHashList(new Uint8Array(10))).toThrow(/not a Safelight PDQ list file/);
  });

  it("a string length running past the end, with a matching checksum, is a clear error, not a RangeError (found by fuzzing)", () => {
    const list = new HashList();
    addImported(list, `${A},x\n${B},y\n`, "t.csv");
    const bytes = encodeHashList(list);
    const view = new DataView(bytes.buffer);
    // Move one string's bytes into the one before it: same file size, but the table no longer adds up.
    view.setUint32(12, view.getUint32(12, true) + 1, true);
    view.setUint32(20, crc32(bytes.subarray(24)) >>> 0, true);
    expect(() => decodeHashList(bytes)).toThrow(new Error("list file string table is corrupt"));
    const stringsAt = 24 + list.size * (32 + 20);
    view.setUint32(12, view.getUint32(12, true) - 1, true);
    view.setUint32(stringsAt, 0xfffffff0, true);
    view.setUint32(20, crc32(bytes.subarray(24)) >>> 0, true);
    expect(() => decodeHashList(bytes)).toThrow(new Error("list file string table is corrupt"));
  });

  it("loadHashList opens a list file or a clean CSV, and refuses a CSV with bad rows", async () => {
    const csv = join(dir, "ok.csv");
    writeFileSync(csv, `${A},1\n${B},2\n`);
    expect((await loadHashList(csv)).size).toBe(2);
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, `${A},1\nnope,2\n`);
    const err = await loadHashList(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HashListError);
    expect((err as HashListError).rowErrors.map((e) => e.line)).toEqual([2]);
    await expect(loadHashList(join(dir, "missing.pdql"))).rejects.toThrow(/no such list file/);
  });
});

describe("stats", () => {
  it("counts distinct hashes exactly (duplicates across sources collapse)", () => {
    const list = new HashList();
    const rows = haystack.flatMap((h, i) => (i % 4 === 0 ? [`${h},a${i},,s1`, `${h},b${i},,s2`] : [`${h},c${i},,s1`]));
    addImported(list, rows.join("\n"), "dup.csv");
    const stats = list.stats();
    expect(stats.entries).toBe(rows.length);
    expect(stats.distinctHashes).toBe(new Set(haystack).size);
    expect(stats.bySource.s2).toBe(Math.ceil(haystack.length / 4));
  });
});

describe("extending a list read from a file", () => {
  it("reuses the file's strings and keeps old and new entries", async () => {
    const path = join(dir, "grow.pdql");
    const first = new HashList();
    addImported(first, `${A},1,lbl,src\n`, "one.csv");
    await writeHashListFile(path, first);
    const list = await readHashListFile(path);
    addImported(list, `${B},2,lbl,other\n`, "two.csv");
    expect(list.strings.size).toBe(7); // 1, lbl, src, one.csv; then 2, other, two.csv ("lbl" reused)
    await writeHashListFile(path, list);
    const back = await readHashListFile(path);
    expect([back.entry(0), back.entry(1)].map((e) => [e.hex, e.id, e.label, e.source, e.origin])).toEqual([
      [A, "1", "lbl", "src", "one.csv"],
      [B, "2", "lbl", "other", "two.csv"],
    ]);
  });
});
