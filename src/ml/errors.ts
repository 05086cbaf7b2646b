import { MillraceError } from "../errors.js";

/**
 * Errors of millrace/ml. Codes: MR_ML_PARAM (a bad or missing parameter), MR_ML_INPUT (a row or column
 * that does not fit the stage), MR_ML_DIMENSION (vectors of different sizes), MR_ML_STATE (a model used
 * before it is fitted or initialized), MR_ML_PERSIST (save/load).
 */
export class MLError extends MillraceError {}
