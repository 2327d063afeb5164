import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import {
  DEFAULT_MATCH_DISTANCE,
  DIHEDRAL_NAMES,
  type DihedralName,
  HashList,
  type ImageHash,
  type Match,
  MihIndex,
  hashToHex,
} from "@safelight/pdq";
import { DEFAULT_MAX_PIXELS, HashListError, hashFile, importHashListFile, loadHashList, writeHashListFile } from "@safelight/pdq/node";

/** `safelight hash`, `safelight match` and `safelight hashlist …`: PDQ hashing and list matching. */
export function registerPdqCommands(program: Command): void {
  program
    .command("hash")
    .description("print HASH,QUALITY,FILE for each image (PDQ, as the reference tool does)")
    .option("--cli512", "squash to 512x512 by nearest neighbour first, like the reference CLI")
    .option("--dihedral", "print the 8 dihedral hashes: orig,rot90,rot180,rot270,flipx,flipy,flipp,flipm")
    .option("--max-pixels <n>", "refuse images with more pixels than this", positiveInt, DEFAULT_MAX_PIXELS)
    .argument("<files...>", "image files (JPEG, PNG, WebP, GIF, TIFF, PPM/PGM)")
    .action(async (files: string[], opts: { cli512?: boolean; dihedral?: boolean; maxPixels: number }) => {
      await forEachImage(files, opts, (file, result) => {
        const hashes = opts.dihedral && result.dihedral ? DIHEDRAL_NAMES.map((n) => hashToHex(result.dihedral![n])) : [hashToHex(result.hash)];
        out(`${hashes.join(",")},${result.quality},${file}`);
      });
    });

  program
    .command("match")
    .description("hash each image and list the entries of a hash list within the distance")
    .requiredOption("--list <file>", "hash list: a safelight list file or a CSV/TSV export")
    .option("--distance <d>", "maximum Hamming distance", distanceArg, DEFAULT_MATCH_DISTANCE)
    .option("--cli512", "squash to 512x512 by nearest neighbour first, like the reference CLI")
    .option("--dihedral", "also match the image's rotations and flips")
    .option("--max-pixels <n>", "refuse images with more pixels than this", positiveInt, DEFAULT_MAX_PIXELS)
    .argument("<files...>", "image files")
    .action(async (files: string[], opts: { list: string; distance: number; cli512?: boolean; dihedral?: boolean; maxPixels: number }) => {
      const list = await openList(opts.list);
      const index = new MihIndex(list.store);
      await forEachImage(files, opts, (file, result) => {
        out(`${hashToHex(result.hash)},${result.quality},${file}`);
        for (const { match, transform } of findMatches(index, result, opts.distance)) {
          const e = list.entry(match.id);
          const cells = [String(match.distance), e.hex, e.id ?? "", e.label ?? "", e.source ?? ""];
          if (opts.dihedral) cells.push(transform);
          out(`  match,${cells.map(csvCell).join(",")}`);
        }
      });
    });

  const lists = program.command("hashlist").description("manage PDQ hash lists (compact binary list files)");
  lists
    .command("import")
    .description("add CSV/TSV exports (hash[,id,label,source] or a header naming them) to a list file")
    .requiredOption("--list <file>", "list file to create or extend")
    .option("--skip-invalid", "import the valid rows even when some rows are bad")
    .argument("<csv...>", "CSV or TSV files")
    .action(async (csvFiles: string[], opts: { list: string; skipInvalid?: boolean }) => {
      // Rows go straight into the (compact) list; it is only written if the import is accepted.
      const list = (await exists(opts.list)) ? await openList(opts.list) : new HashList();
      const before = list.size;
      let bad = 0;
      for (const file of csvFiles) {
        const origin = basename(file);
        try {
          await importHashListFile(
            file,
            (row) => list.add(row, { origin, line: row.line }),
            (e) => {
              fail(`${file}:${e.line}`, e.message);
              bad++;
            },
          );
        } catch (err) {
          fail(file, fileMessage(err));
          bad++;
        }
      }
      if (bad > 0 && !opts.skipInvalid) {
        throw new Error(`${bad} problem(s) found; nothing imported (--skip-invalid imports the valid rows)`);
      }
      await writeHashListFile(opts.list, list);
      out(`imported ${list.size - before} hash(es) into ${opts.list} (${list.size} in total)${bad > 0 ? `; skipped ${bad} problem(s)` : ""}`);
    });

  lists
    .command("stats")
    .description("summarise a list: entries, distinct hashes, counts by source, label and origin")
    .requiredOption("--list <file>", "list file (or CSV/TSV export)")
    .option("--json", "print one JSON object")
    .action(async (opts: { list: string; json?: boolean }) => {
      const stats = (await openList(opts.list)).stats();
      if (opts.json) return out(JSON.stringify(stats));
      out(`entries: ${stats.entries}`);
      out(`distinct hashes: ${stats.distinctHashes}`);
      for (const [title, counts] of [["source", stats.bySource], ["label", stats.byLabel], ["origin", stats.byOrigin]] as const) {
        out(`by ${title}:`);
        for (const [k, n] of Object.entries(counts).sort((a, b) => b[1] - a[1])) out(`  ${n}\t${k}`);
      }
    });
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(what: string, message: string): void {
  process.stderr.write(`safelight: ${what}: ${message}\n`);
}

function fileMessage(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "is a directory";
  return err instanceof Error ? err.message : String(err);
}

/** Hashes files one by one; a bad file gets one error line and the rest still run. */
async function forEachImage(
  files: string[],
  opts: { cli512?: boolean; dihedral?: boolean; maxPixels: number },
  emit: (file: string, result: ImageHash) => void,
): Promise<void> {
  let failed = 0;
  for (const file of files) {
    let result: ImageHash;
    try {
      result = await hashFile(file, { cli512: opts.cli512 ?? false, dihedral: opts.dihedral ?? false, maxPixels: opts.maxPixels });
    } catch (err) {
      fail(file, err instanceof Error ? err.message : String(err));
      failed++;
      continue;
    }
    emit(file, result);
  }
  // main() turns a thrown error into exit status 1.
  if (failed > 0) throw new Error(`${failed} of ${files.length} file(s) could not be processed`);
}

/** Best match per list entry over the image's hash (and its 8 symmetries with --dihedral). */
function findMatches(index: MihIndex, result: ImageHash, distance: number): { match: Match; transform: DihedralName }[] {
  const queries: [DihedralName, ImageHash["hash"]][] = result.dihedral
    ? DIHEDRAL_NAMES.map((n) => [n, result.dihedral![n]])
    : [["orig", result.hash]];
  const best = new Map<number, { match: Match; transform: DihedralName }>();
  for (const [transform, hash] of queries) {
    for (const match of index.query(hash, distance)) {
      const seen = best.get(match.id);
      if (seen === undefined || match.distance < seen.match.distance) best.set(match.id, { match, transform });
    }
  }
  return [...best.values()].sort((a, b) => a.match.distance - b.match.distance || a.match.id - b.match.id);
}

async function openList(path: string): Promise<HashList> {
  try {
    return await loadHashList(path);
  } catch (err) {
    if (err instanceof HashListError) for (const e of err.rowErrors) fail(`${path}:${e.line}`, e.message);
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

function distanceArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new InvalidArgumentError("must be an integer from 0 to 256");
  return n;
}
