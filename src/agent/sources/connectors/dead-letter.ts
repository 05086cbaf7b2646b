/**
 * Where bad input goes: a line that is not JSON, a record without the fields a
 * source needs, a line cut off by a disconnect. Each one is counted (the
 * caller's `onDeadLetter`, e.g. SourceCounter EventReadFail), logged, and,
 * when `file` is set, appended to a JSON-lines file:
 *   {"time":"...","source":"r1","reason":"...","raw":"..."}
 * Writes are serialized; a failing dead-letter file is logged, never thrown.
 */
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";

export interface DeadLetterOptions {
  source: string;
  logger: Logger;
  file?: string;
  onDeadLetter?: (reason: string) => void;
}

export class DeadLetter {
  count = 0;
  private chain: Promise<void> = Promise.resolve();
  private dirMade = false;
  constructor(private readonly opts: DeadLetterOptions) {}

  /** records one bad input; resolves once it is in the file (if any) */
  write(reason: string, raw: string | Buffer, extra: Record<string, unknown> = {}): Promise<void> {
    this.count++;
    this.opts.onDeadLetter?.(reason);
    const text = typeof raw === "string" ? raw : raw.toString("utf8");
    this.opts.logger.warn(
      { source: this.opts.source, reason, bytes: Buffer.byteLength(text), sample: text.slice(0, 200), ...extra },
      "bad input dead-lettered",
    );
    const file = this.opts.file;
    if (!file) return Promise.resolve();
    const line =
      JSON.stringify({ time: new Date().toISOString(), source: this.opts.source, reason, raw: text, ...extra }) + "\n";
    this.chain = this.chain.then(async () => {
      try {
        if (!this.dirMade) {
          await mkdir(dirname(file), { recursive: true });
          this.dirMade = true;
        }
        await appendFile(file, line);
      } catch (err) {
        this.opts.logger.error({ err, file }, "cannot write dead-letter file");
      }
    });
    return this.chain;
  }

  /** resolves when every write so far is done */
  flushed(): Promise<void> {
    return this.chain;
  }
}
