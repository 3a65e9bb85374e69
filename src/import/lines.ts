// Reads a text file line by line with its byte progress, for the edge-list and DIMACS importers:
// memory stays bounded by the longest line (and lines over `maxLineBytes` are reported, not kept).
import { createReadStream, statSync } from 'node:fs';
import { ImportError } from './source.ts';

export interface Line {
  readonly text: string;
  readonly number: number;
  /** Bytes consumed so far. */
  readonly offset: number;
}

export function fileSize(path: string): number {
  try {
    const s = statSync(path);
    if (!s.isFile()) throw new ImportError(`${path} is not a file`);
    return s.size;
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function* readLines(path: string, maxLineBytes = 1 << 20): AsyncGenerator<Line> {
  const stream = createReadStream(path);
  let carry = Buffer.alloc(0);
  let number = 0;
  let offset = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let buf = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        number++;
        offset += nl - start + 1;
        if (nl - start > maxLineBytes) throw new ImportError(`${path}:${number}: line longer than ${maxLineBytes} bytes`);
        yield { text: buf.toString('utf8', start, nl).replace(/\r$/, ''), number, offset };
        start = nl + 1;
      }
      buf = buf.subarray(start);
      if (buf.length > maxLineBytes) throw new ImportError(`${path}:${number + 1}: line longer than ${maxLineBytes} bytes`);
      carry = Buffer.from(buf);
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (carry.length > 0) {
    number++;
    offset += carry.length;
    yield { text: carry.toString('utf8').replace(/\r$/, ''), number, offset };
  }
}
