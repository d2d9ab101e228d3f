/**
 * The parts of the Jupyter notebook format (nbformat 4) the project reads and writes.
 */
import * as fs from 'node:fs';

export type MultilineString = string | string[];

export interface StreamOutput { output_type: 'stream'; name: 'stdout' | 'stderr'; text: MultilineString }
export interface DisplayOutput { output_type: 'display_data' | 'execute_result'; data: Record<string, MultilineString>; metadata: object; execution_count?: number | null }
export interface ErrorOutput { output_type: 'error'; ename: string; evalue: string; traceback: string[] }
export type Output = StreamOutput | DisplayOutput | ErrorOutput;

export interface Cell {
  cell_type: 'markdown' | 'code' | 'raw';
  source: MultilineString;
  metadata: { tags?: string[]; [k: string]: unknown };
  outputs?: Output[];
  execution_count?: number | null;
  id?: string;
}

export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** A cell's source as one string. */
export function sourceText(cell: Pick<Cell, 'source'>): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** Splits text into nbformat's list of lines (each but the last keeps its newline). */
export function toLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

/** Reads a notebook, with an error naming the file when it is not one. */
export function readNotebook(file: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
  } catch (err) {
    throw new Error(`${file}: not a readable notebook (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!nb || !Array.isArray(nb.cells) || nb.nbformat !== 4) throw new Error(`${file}: not an nbformat 4 notebook`);
  return nb;
}

/** Writes a notebook in Jupyter's own layout (one-space indent, trailing newline). */
export function writeNotebook(file: string, nb: Notebook): void {
  fs.writeFileSync(file, `${JSON.stringify(nb, null, 1)}\n`);
}

/** The tslab kernel's metadata, written into every notebook. */
export const TSLAB_METADATA = {
  kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' },
  language_info: { codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true }, file_extension: '.ts', mimetype: 'text/typescript', name: 'typescript', version: '5.0.4' },
};
