import { appendErrorCode } from "../../coordinator/producers/append.js";

/** The Kafka error code for an error raised by the log or the record layer. */
export function topicError(e: unknown): number {
  return appendErrorCode(e);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
