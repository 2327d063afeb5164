import { hashFromHex, hexProblem } from "../hex.js";
import { type CsvRow, DelimitedParser } from "./csv.js";
import type { HashList, ListEntryInput } from "./hashlist.js";

export interface ImportedRow extends ListEntryInput {
  line: number;
}

export interface RowError {
  line: number;
  message: string;
}

export interface ImportResult {
  rows: ImportedRow[];
  errors: RowError[];
  /** Whether the first line was taken as a header. */
  header: boolean;
}

type Column = "hash" | "id" | "label" | "source";

/** Header names seen in ThreatExchange / HMA exports and hand-made lists. */
const HEADER_NAMES: Record<Column, string[]> = {
  hash: ["hash", "pdq", "pdq_hash", "signal", "signal_value", "hash_value", "indicator"],
  id: ["id", "signal_id", "indicator_id", "content_id", "hash_id"],
  label: ["label", "labels", "tags", "tag", "category", "classification"],
  source: ["source", "collab", "privacy_group", "dataset", "owner", "bank"],
};

function columnFor(name: string): Column | undefined {
  const n = name.trim().toLowerCase();
  return (Object.keys(HEADER_NAMES) as Column[]).find((c) => HEADER_NAMES[c].includes(n));
}

/**
 * Streaming reader for CSV/TSV lists of hex PDQ hashes with optional id, label and source
 * columns. With a header the columns are found by name (others ignored); without one they are
 * taken in the order hash, id, label, source. Each good row goes to `onRow`, each bad one to
 * `onError` with its line, and reading goes on.
 */
export class HashListImporter {
  private readonly parser: DelimitedParser;
  private columns: Partial<Record<Column, number>> = { hash: 0, id: 1, label: 2, source: 3 };
  private first = true;
  header = false;

  constructor(
    private readonly onRow: (row: ImportedRow) => void,
    private readonly onError: (error: RowError) => void,
  ) {
    this.parser = new DelimitedParser((row) => this.record(row));
  }

  push(chunk: string): void {
    this.parser.push(chunk);
  }

  end(): void {
    const unterminated = this.parser.end();
    if (unterminated !== undefined) this.onError({ line: unterminated, message: "unterminated quoted field (rest of file ignored)" });
  }

  private record(row: CsvRow): void {
    if (this.first) {
      this.first = false;
      if (this.takeHeader(row.fields)) return;
    }
    const hex = this.cell(row.fields, "hash");
    if (hex === undefined) {
      this.onError({ line: row.line, message: "missing hash" });
      return;
    }
    const problem = hexProblem(hex);
    if (problem !== undefined) {
      this.onError({ line: row.line, message: `bad hash ${JSON.stringify(hex.length > 70 ? hex.slice(0, 70) + "…" : hex)}: ${problem}` });
      return;
    }
    this.onRow({
      line: row.line,
      hash: hashFromHex(hex),
      id: this.cell(row.fields, "id"),
      label: this.cell(row.fields, "label"),
      source: this.cell(row.fields, "source"),
    });
  }

  /** A first row whose first field is not a hash but which names a hash column is a header. */
  private takeHeader(fields: string[]): boolean {
    if (hexProblem(fields[0]!.trim()) === undefined) return false;
    const named: Partial<Record<Column, number>> = {};
    fields.forEach((f, i) => {
      const c = columnFor(f);
      if (c !== undefined && named[c] === undefined) named[c] = i;
    });
    if (named.hash === undefined) return false;
    this.columns = named;
    this.header = true;
    return true;
  }

  private cell(fields: string[], c: Column): string | undefined {
    const i = this.columns[c];
    const v = i === undefined ? undefined : fields[i]?.trim();
    return v === "" ? undefined : v;
  }
}

/** Whole-text convenience over HashListImporter. */
export function importHashList(text: string): ImportResult {
  const rows: ImportedRow[] = [];
  const errors: RowError[] = [];
  const importer = new HashListImporter((r) => rows.push(r), (e) => errors.push(e));
  importer.push(text);
  importer.end();
  return { rows, errors, header: importer.header };
}

/** Appends imported CSV/TSV text to `list`, recording `origin` and line numbers. */
export function addImported(list: HashList, text: string, origin: string): { added: number; errors: RowError[] } {
  const { rows, errors } = importHashList(text);
  for (const row of rows) list.add(row, { origin, line: row.line });
  return { added: rows.length, errors };
}
