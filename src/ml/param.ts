/**
 * Spark-ML-style Params: every stage has a uid and named parameters with defaults; setters return the
 * stage so calls chain (`new HashingTF().setInputCol("words").setOutputCol("features")`). The values
 * set and the defaults together are what save() writes as the stage's paramMap.
 */
import { randomBytes } from "node:crypto";
import { MLError } from "./errors.js";

/** a row of a data set: column name to value */
export type Row = Record<string, unknown>;

export function randomUid(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

export abstract class Params {
  readonly uid: string;
  private readonly values = new Map<string, unknown>();

  constructor(
    uidPrefix: string,
    private readonly defaults: Record<string, unknown>,
    uid?: string,
  ) {
    this.uid = uid ?? randomUid(uidPrefix);
  }

  /** the value set, else the default; throws MR_ML_PARAM when neither exists */
  getOrDefault<T>(name: string): T {
    if (this.values.has(name)) return this.values.get(name) as T;
    if (name in this.defaults && this.defaults[name] !== undefined) return this.defaults[name] as T;
    throw new MLError("MR_ML_PARAM", `${this.constructor.name}: parameter ${name} is not set and has no default`);
  }

  isSet(name: string): boolean {
    return this.values.has(name);
  }

  isDefined(name: string): boolean {
    return this.values.has(name) || this.defaults[name] !== undefined;
  }

  hasParam(name: string): boolean {
    return name in this.defaults;
  }

  set(name: string, value: unknown): this {
    if (!this.hasParam(name)) throw new MLError("MR_ML_PARAM", `${this.constructor.name} has no parameter ${name}`);
    this.values.set(name, value);
    return this;
  }

  /** the parameters set by the user */
  paramMap(): Record<string, unknown> {
    return Object.fromEntries(this.values);
  }

  /** the defaults of the parameters */
  defaultParamMap(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(this.defaults).filter(([, v]) => v !== undefined));
  }

  /** copies the parameters of `other` (a stage's estimator onto its model, or a loaded paramMap) */
  setParams(values: Record<string, unknown>): this {
    for (const [k, v] of Object.entries(values)) if (this.hasParam(k)) this.values.set(k, v);
    return this;
  }
}

export function requireParam(cond: boolean, stage: string, msg: string): void {
  if (!cond) throw new MLError("MR_ML_PARAM", `${stage}: ${msg}`);
}
