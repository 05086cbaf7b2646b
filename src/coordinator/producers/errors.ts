/**
 * Errors raised by the idempotent-producer module. `code` is stable; the
 * comments say what the broker should do with each.
 */
import { MillraceError } from "../../errors.js";

export type ProducerStateErrorCode =
  /** the producer-id block file is unreadable: refuse to start (handing out ids again could reuse them) */
  | "MR_PRODUCER_IDS_CORRUPT"
  /** the int64 producer-id space is used up (not reachable in practice) */
  | "MR_PRODUCER_IDS_EXHAUSTED"
  /** a producer-state snapshot failed its CRC or structure check: it is deleted and the log replayed instead */
  | "MR_PRODUCER_SNAPSHOT_CORRUPT";

export class ProducerStateError extends MillraceError {
  declare readonly code: ProducerStateErrorCode;
  constructor(code: ProducerStateErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
