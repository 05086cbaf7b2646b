/**
 * Transformers and estimators, as in Spark ML. A transformer works on plain arrays of rows
 * (`transform(rows)`) and one row at a time (`rowFunction()`, for `dstream.map(...)`); a unary
 * transformer also gives the bare value function (`createTransformFunc()`), e.g. text -> tokens.
 */
import { MLError } from "./errors.js";
import { Params, type Row } from "./param.js";

type Saver = (stage: PipelineStage, dir: string, opts: { overwrite?: boolean }) => void;
let saver: Saver | undefined;
/** @internal set by persist.ts, which knows every stage class (and would be an import cycle here) */
export function setSaver(s: Saver): void {
  saver = s;
}

export abstract class PipelineStage extends Params {
  /** writes the stage (params and model data) as a versioned JSON directory; loadStage(dir) reads it back */
  save(dir: string, opts: { overwrite?: boolean } = {}): void {
    if (!saver) throw new MLError("MR_ML_PERSIST", "import millrace/ml (src/ml/index.ts) to save stages");
    saver(this, dir, opts);
  }
}

export abstract class Transformer extends PipelineStage {
  /** the row with this stage's output column added */
  abstract transformRow(row: Row): Row;

  transform(rows: Iterable<Row>): Row[] {
    const f = this.rowFunction();
    return Array.from(rows, f);
  }

  /** a per-row function for DStream operations: `stream.map(stage.rowFunction())` */
  rowFunction(): (row: Row) => Row {
    return (row) => this.transformRow(row);
  }
}

export abstract class Model extends Transformer {}

export abstract class Estimator<M extends Model = Model> extends PipelineStage {
  abstract fit(rows: Row[]): M;
}

export function column(row: Row, col: string, stage: string): unknown {
  if (!(col in row)) throw new MLError("MR_ML_INPUT", `${stage}: the row has no column ${col}`);
  return row[col];
}

/** a transformer of one input column into one output column */
export abstract class UnaryTransformer<I, O> extends Transformer {
  constructor(prefix: string, defaults: Record<string, unknown>, uid?: string) {
    super(prefix, { inputCol: undefined, outputCol: `${prefix}_output`, ...defaults }, uid);
  }

  getInputCol(): string {
    return this.getOrDefault("inputCol");
  }
  setInputCol(c: string): this {
    return this.set("inputCol", c);
  }
  getOutputCol(): string {
    return this.getOrDefault("outputCol");
  }
  setOutputCol(c: string): this {
    return this.set("outputCol", c);
  }

  /** the value function: input value -> output value */
  abstract createTransformFunc(): (input: I) => O;

  override rowFunction(): (row: Row) => Row {
    const f = this.createTransformFunc();
    const inCol = this.getInputCol();
    const outCol = this.getOutputCol();
    const name = this.constructor.name;
    return (row) => ({ ...row, [outCol]: f(column(row, inCol, name) as I) });
  }

  transformRow(row: Row): Row {
    return this.rowFunction()(row);
  }
}
