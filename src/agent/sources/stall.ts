/**
 * The stall rule of the streaming HTTP sources (X's filtered stream, the SSE
 * streams): a response silent for stallTimeoutMs is ended with a StallError, so
 * the source reconnects. Time spent waiting for the channel does not count: the
 * source stops reading then, on purpose.
 */
import { StallError } from "./connectors/errors.js";

export class StallWatchdog {
  private last = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(stallMs: number, busy: () => boolean, onStall: (err: StallError) => void) {
    this.timer = setInterval(
      () => {
        if (busy()) this.last = Date.now();
        else if (Date.now() - this.last > stallMs) onStall(new StallError(stallMs));
      },
      Math.max(10, Math.min(1000, stallMs / 4)),
    );
  }

  /** bytes arrived (or were just handled) */
  touch(): void {
    this.last = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
