/** One parsed record and the 1-based line it starts on (for error messages). */
export interface CsvRow {
  line: number;
  fields: string[];
}

/** Tab-separated if the first non-blank line has a tab, else comma-separated. */
export function detectDelimiter(text: string): "," | "\t" {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  return first.includes("\t") ? "\t" : ",";
}

/**
 * RFC 4180-style parsing (quoted fields, doubled quotes, CRLF or LF). Blank lines and lines
 * starting with '#' are skipped. An unterminated quote is reported against its line.
 */
export function parseDelimited(text: string, delimiter = detectDelimiter(text)): { rows: CsvRow[]; unterminatedQuoteLine?: number } {
  const rows: CsvRow[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // BOM
  while (i < n) {
    const startLine = line;
    if (text[i] === "#") {
      while (i < n && text[i] !== "\n") i++;
      i++;
      line++;
      continue;
    }
    const fields: string[] = [];
    let field = "";
    let quoted = false;
    let endOfRecord = false;
    while (i < n && !endOfRecord) {
      const c = text[i]!;
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
        if (c === '"') { quoted = false; i++; continue; }
        if (c === "\n") line++;
        field += c;
        i++;
      } else if (c === '"' && field === "") {
        quoted = true;
        i++;
      } else if (c === delimiter) {
        fields.push(field);
        field = "";
        i++;
      } else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        i++;
        line++;
        endOfRecord = true;
      } else {
        field += c;
        i++;
      }
    }
    if (quoted) return { rows, unterminatedQuoteLine: startLine };
    fields.push(field);
    if (fields.length === 1 && fields[0]!.trim() === "") continue;
    rows.push({ line: startLine, fields });
  }
  return { rows };
}
