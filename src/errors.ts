/**
 * Base of every error millrace raises on purpose. `code` is a stable string
 * (MR_<AREA>_<WHAT>) that callers and tests match on; messages may change.
 */
export class MillraceError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Malformed configuration: names the file, line and key where it can. */
export class ConfigError extends MillraceError {}
