/**
 * Reads an import file into rows, whatever its container: JSON Lines (one object per line), a
 * JSON document (an array of objects, or Firebase's `{"users": [...]}`), or CSV with a header
 * row. A line or record that cannot be read is reported with its line number and skipped; the
 * rest of the file is still imported.
 */
import { parse as parseCSV } from "csv-parse/sync";

/** One row of the file as read, before any source mapping. */
export interface RawRow {
  /** 1-based line (JSONL, CSV) or position (JSON array) in the file, for the summary. */
  row: number;
  values: Record<string, unknown>;
}

/** A row that could not be read. */
export interface UnreadableRow {
  row: number;
  detail: string;
}

/** The containers an import file can use. */
export type ImportFileFormat = "jsonl" | "json" | "csv";

/** Guesses the container from the first characters: `[` JSON, `{` JSON Lines (or a JSON document), else CSV. */
export function detectFormat(text: string): ImportFileFormat {
  const start = text.replace(/^\uFEFF/, "").trimStart();
  if (start.startsWith("[")) return "json";
  if (start.startsWith("{")) {
    // Firebase's export is one pretty-printed document: a first line that is not a whole object.
    const firstLine = start.split("\n", 1)[0]!.trim();
    try {
      JSON.parse(firstLine);
      return "jsonl";
    } catch {
      return "json";
    }
  }
  return "csv";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function readJSONLines(text: string, unreadable: UnreadableRow[]): RawRow[] {
  const rows: RawRow[] = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === "") continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isObject(value)) rows.push({ row: index + 1, values: value });
      else unreadable.push({ row: index + 1, detail: "The line is not a JSON object." });
    } catch {
      unreadable.push({ row: index + 1, detail: "The line is not valid JSON." });
    }
  }
  return rows;
}

function readJSONDocument(text: string, unreadable: UnreadableRow[]): RawRow[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    unreadable.push({ row: 1, detail: "The file is not valid JSON." });
    return [];
  }
  const list = Array.isArray(document) ? document : isObject(document) ? document.users : undefined;
  if (!Array.isArray(list)) {
    unreadable.push({ row: 1, detail: 'The JSON document is neither an array nor {"users": [...]}.' });
    return [];
  }
  const rows: RawRow[] = [];
  for (const [index, value] of list.entries()) {
    if (isObject(value)) rows.push({ row: index + 1, values: value });
    else unreadable.push({ row: index + 1, detail: "The entry is not a JSON object." });
  }
  return rows;
}

interface CSVRecord {
  record: Record<string, string>;
  info: { lines: number };
}

function readCSV(text: string, unreadable: UnreadableRow[]): RawRow[] {
  try {
    const records = parseCSV(text, {
      bom: true,
      columns: (header: string[]) => header.map((name) => name.trim()),
      skip_empty_lines: true,
      info: true,
      // A broken record (wrong column count, stray quote) is reported and the rest still read.
      skip_records_with_error: true,
      on_skip: (error: { lines?: number; message: string } | undefined) => {
        if (error) unreadable.push({ row: error.lines ?? 0, detail: `Malformed CSV record: ${error.message}` });
      },
    }) as CSVRecord[];
    return records.map(({ record, info }) => ({ row: info.lines, values: record }));
  } catch (error) {
    unreadable.push({ row: 1, detail: `The CSV cannot be read: ${(error as Error).message}` });
    return [];
  }
}

/**
 * Reads `text` as `format` (guessed when omitted).
 *
 * @example
 * ```ts
 * const { rows, unreadable } = readImportFile('{"email":"ada@example.com"}\n');
 * ```
 */
export function readImportFile(
  text: string,
  format: ImportFileFormat = detectFormat(text),
): { rows: RawRow[]; unreadable: UnreadableRow[] } {
  const unreadable: UnreadableRow[] = [];
  const body = text.replace(/^\uFEFF/, "");
  const rows =
    format === "jsonl"
      ? readJSONLines(body, unreadable)
      : format === "json"
        ? readJSONDocument(body, unreadable)
        : readCSV(body, unreadable);
  return { rows, unreadable };
}
