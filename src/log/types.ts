/** The subset of pino's logger the log uses (pino's `logger.warn(obj, msg)` signature). */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const noopLogger: Logger = {
  info() {},
  warn() {},
  error() {},
};
