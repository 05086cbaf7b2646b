import { MillraceError } from "../errors.js";

/** A payload that claims to be a post but is not well formed: MR_SOCIAL_INVALID. */
export class SocialError extends MillraceError {}

export function socialInvalid(message: string, cause?: unknown): SocialError {
  return new SocialError("MR_SOCIAL_INVALID", message, cause === undefined ? undefined : { cause });
}

/** A well-formed event that is not a post (a Jetstream identity event, a delete): MR_SOCIAL_NOT_A_POST. */
export function notAPost(message: string): SocialError {
  return new SocialError("MR_SOCIAL_NOT_A_POST", message);
}
