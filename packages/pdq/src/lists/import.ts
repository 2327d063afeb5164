import { hashFromHex, hexProblem } from "../hex.js";
import { parseDelimited } from "./csv.js";
import type { ListEntryInput } from "./hashlist.js";

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
 * Reads a CSV/TSV list of hex PDQ hashes with optional id, label and source columns. With a
 * header the columns are found by name (others ignored); without one they are taken in the
 * order hash, id, label, source. Every bad row is reported by line; good rows are still returned.
 */
export function importHashList(text: string): ImportResult {
  const { rows, unterminatedQuoteLine } = parseDelimited(text);
  const errors: RowError[] = [];
  const out: ImportedRow[] = [];
  let columns: Partial<Record<Column, number>> = { hash: 0, id: 1, label: 2, source: 3 };
  let header = false;
  const first = rows[0];
  if (first !== undefined && hexProblem(first.fields[0]!.trim()) !== undefined) {
    const named: Partial<Record<Column, number>> = {};
    first.fields.forEach((f, i) => {
      const c = columnFor(f);
      if (c !== undefined && named[c] === undefined) named[c] = i;
    });
    if (named.hash !== undefined) {
      columns = named;
      header = true;
    }
  }
  const cell = (fields: string[], c: Column): string | undefined => {
    const i = columns[c];
    const v = i === undefined ? undefined : fields[i]?.trim();
    return v === "" ? undefined : v;
  };
  for (const row of header ? rows.slice(1) : rows) {
    const hex = cell(row.fields, "hash");
    if (hex === undefined) {
      errors.push({ line: row.line, message: "missing hash" });
      continue;
    }
    const problem = hexProblem(hex);
    if (problem !== undefined) {
      errors.push({ line: row.line, message: `bad hash ${JSON.stringify(hex.length > 70 ? hex.slice(0, 70) + "…" : hex)}: ${problem}` });
      continue;
    }
    out.push({
      line: row.line,
      hash: hashFromHex(hex),
      id: cell(row.fields, "id"),
      label: cell(row.fields, "label"),
      source: cell(row.fields, "source"),
    });
  }
  if (unterminatedQuoteLine !== undefined) {
    errors.push({ line: unterminatedQuoteLine, message: "unterminated quoted field (rest of file ignored)" });
  }
  return { rows: out, errors, header };
}
