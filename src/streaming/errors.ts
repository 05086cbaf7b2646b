import { MillraceError } from "../errors.js";

/** Errors of the streaming engine (codes MR_STREAMING_*). */
export class StreamingError extends MillraceError {}

/** User code failed inside an operation of a batch. */
export class TaskFailedError extends StreamingError {
  constructor(
    readonly operation: string,
    readonly batchTime: number | undefined,
    cause: unknown,
  ) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    super(
      "MR_STREAMING_TASK_FAILED",
      `${operation} failed${batchTime !== undefined ? ` in the batch of time ${batchTime} ms` : ""}: ${msg}`,
      { cause },
    );
  }
}
