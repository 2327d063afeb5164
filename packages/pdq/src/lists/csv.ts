/** One parsed record and the 1-based line it starts on (for error messages). */
export interface CsvRow {
  line: number;
  fields: string[];
}

const LF = 10;
const CR = 13;
const QUOTE = 34;
const HASH = 35;

/** The first line that is neither blank nor a '#' comment; `complete` lines only (ended by a newline). */
function firstDataLine(text: string, complete: boolean): string | undefined {
  const lines = text.split(/\r?\n/);
  if (complete) lines.pop();
  return lines.find((l) => l.trim() !== "" && !l.startsWith("#"));
}

/** Tab-separated if the first data line has a tab, else comma-separated. */
export function detectDelimiter(text: string): "," | "\t" {
  return (firstDataLine(text, false) ?? "").includes("\t") ? "\t" : ",";
}

/**
 * Incremental RFC 4180-style parser (quoted fields, doubled quotes, CRLF or LF, BOM): text is
 * pushed in chunks of any size, so a national-scale list never has to be one string (V8 caps a
 * string at about 512 MB). Blank lines and lines starting with '#' are skipped. Unless given, the
 * delimiter is fixed from the first data line. Fields are sliced from the chunk, not built a
 * character at a time.
 */
export class DelimitedParser {
  private delimiter: string | undefined;
  private pending = ""; // text held back until the first data line is complete (delimiter detection)
  private started = false;
  private line = 1;
  private startLine = 1;
  private fields: string[] = [];
  private field = ""; // the current field's text from earlier chunks / before a quote
  private quoted = false;
  private quoteClosed = false;
  private comment = false;
  private afterCR = false;

  constructor(
    private readonly onRecord: (row: CsvRow) => void,
    delimiter?: "," | "\t",
  ) {
    this.delimiter = delimiter;
  }

  push(chunk: string): void {
    if (this.delimiter === undefined) {
      this.pending += chunk;
      if (firstDataLine(this.pending, true) === undefined) return;
      this.delimiter = detectDelimiter(this.pending);
      chunk = this.pending;
      this.pending = "";
    }
    this.scan(chunk);
  }

  /** Flushes the last record; returns the line of an unterminated quoted field, if any. */
  end(): number | undefined {
    if (this.delimiter === undefined) {
      this.delimiter = detectDelimiter(this.pending);
      this.scan(this.pending);
      this.pending = "";
    }
    if (this.quoted) return this.startLine;
    this.finishRecord();
    return undefined;
  }

  private scan(text: string): void {
    const delim = this.delimiter!.charCodeAt(0);
    let i = 0;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    let from = i; // start of the current field's text not yet copied into this.field
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.afterCR) {
        this.afterCR = false;
        if (c === LF) {
          from = i + 1; // the LF of a CRLF: the record already ended at the CR
          continue;
        }
      }
      if (this.comment) {
        if (c === LF || c === CR) this.newline(c);
        from = i + 1;
        continue;
      }
      if (this.quoted) {
        if (c === QUOTE) {
          this.field += text.slice(from, i);
          from = i + 1;
          this.quoted = false;
          this.quoteClosed = true; // a '"' right after reopens: a doubled quote
        } else if (c === LF) {
          this.line++;
        }
        continue;
      }
      if (c === QUOTE && this.quoteClosed) {
        this.field += '"';
        this.quoted = true;
        this.quoteClosed = false;
        from = i + 1;
        continue;
      }
      this.quoteClosed = false;
      const atFieldStart = from === i && this.field === "";
      if (c === QUOTE && atFieldStart) {
        this.quoted = true;
        from = i + 1;
      } else if (c === HASH && atFieldStart && this.fields.length === 0) {
        this.comment = true;
      } else if (c === delim) {
        this.fields.push(this.field + text.slice(from, i));
        this.field = "";
        from = i + 1;
      } else if (c === LF || c === CR) {
        this.field += text.slice(from, i);
        this.finishRecord();
        this.newline(c);
        from = i + 1;
      }
    }
    if (!this.comment) this.field += text.slice(from);
  }

  private newline(c: number): void {
    this.comment = false;
    this.afterCR = c === CR;
    this.line++;
    this.startLine = this.line;
  }

  private finishRecord(): void {
    const fields = this.fields;
    fields.push(this.field);
    this.fields = [];
    this.field = "";
    this.quoteClosed = false;
    if (fields.length === 1 && fields[0]!.trim() === "") return;
    this.onRecord({ line: this.startLine, fields });
  }
}

/** Whole-text convenience over DelimitedParser. */
export function parseDelimited(text: string, delimiter?: "," | "\t"): { rows: CsvRow[]; unterminatedQuoteLine?: number } {
  const rows: CsvRow[] = [];
  const parser = new DelimitedParser((row) => rows.push(row), delimiter);
  parser.push(text);
  const unterminatedQuoteLine = parser.end();
  return unterminatedQuoteLine === undefined ? { rows } : { rows, unterminatedQuoteLine };
}
