/**
 * Progress of long-running CLI work on stderr: a line redrawn in place when
 * stderr is a terminal, nothing until the end otherwise (then a summary line,
 * which also ends the terminal's progress line).
 */
export interface Progress {
  /** redraws the line now if stderr is a terminal (rate limited) */
  update(text: string): void;
  /** the final summary (always printed) */
  done(text: string): void;
  /** a line on stdout, clearing the progress line first */
  log(line: string): void;
}

export function progress(opts: { stream?: NodeJS.WriteStream; intervalMs?: number; tty?: boolean } = {}): Progress {
  const out = opts.stream ?? process.stderr;
  const tty = opts.tty ?? !!out.isTTY;
  const every = opts.intervalMs ?? 250;
  let last = 0;
  let width = 0;
  const draw = (text: string) => {
    const pad = Math.max(0, width - text.length);
    out.write(`\r${text}${" ".repeat(pad)}`);
    width = text.length;
  };
  return {
    update(text) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < every) return;
      last = now;
      draw(text);
    },
    log(line) {
      if (tty && width > 0) {
        out.write(`\r${" ".repeat(width)}\r`);
        width = 0;
        last = 0;
      }
      process.stdout.write(`${line}\n`);
    },
    done(text) {
      if (tty && width > 0) {
        draw(text);
        out.write("\n");
      } else out.write(`${text}\n`);
    },
  };
}

export function mib(bytes: number): string {
  return bytes >= 1 << 20
    ? `${(bytes / (1 << 20)).toFixed(1)} MiB`
    : bytes >= 1024
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${bytes} B`;
}
