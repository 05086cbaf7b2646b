import { MillraceError } from "../errors.js";

/** Bad bytes in a format (Avro, JSON lines, UTF-8, framing): MR_FORMAT_INVALID. */
export class FormatError extends MillraceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MR_FORMAT_INVALID", message, options);
  }
}

export function formatInvalid(what: string, err: unknown): FormatError {
  return new FormatError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
