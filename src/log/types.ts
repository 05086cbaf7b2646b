/** The subset of pino's logger the log uses (pino's `logger.warn(obj, msg)` signature). */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** How a partition's parts log: the partition adds its topic and partition to `obj`. */
export type LogFn = (level: "info" | "warn" | "error", obj: object, msg: string) => void;

export const noopLogger: Logger = {
  info() {},
  warn() {},
  error() {},
};
