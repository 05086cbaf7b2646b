/**
 * Errors raised by the group coordinator on purpose. Protocol-level outcomes are
 * never thrown: they are Kafka error codes in the responses. These are for
 * undecodable `__consumer_offsets` records and misuse of the API.
 */
import { MillraceError } from "../../errors.js";

export type GroupCoordinatorErrorCode =
  /** a `__consumer_offsets` key or value that does not decode */
  | "MR_GROUP_RECORD_INVALID"
  /** an internal invariant of Kafka's group state machine was broken (a bug) */
  | "MR_GROUP_ILLEGAL_STATE"
  /** load() called twice, or a call after close() */
  | "MR_GROUP_LIFECYCLE";

export class GroupCoordinatorError extends MillraceError {
  declare readonly code: GroupCoordinatorErrorCode;
  constructor(code: GroupCoordinatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
