/**
 * Pipeline and PipelineModel, as in Spark ML: fit runs the stages in order, fitting each estimator on
 * the output of the stages before it; the PipelineModel applies the transformers and fitted models in
 * order, on arrays of rows or one row at a time (`rowFunction()`, for a DStream's map).
 */
import { MLError } from "./errors.js";
import type { Row } from "./param.js";
import { Estimator, Model, type PipelineStage, Transformer } from "./pipeline-stage.js";

let loader: ((dir: string) => PipelineStage) | undefined;
/** @internal set by persist.ts */
export function setLoader(l: (dir: string) => PipelineStage): void {
  loader = l;
}

export class Pipeline extends Estimator<PipelineModel> {
  constructor(uid?: string) {
    super("pipeline", { stages: undefined }, uid);
  }
  setStages(stages: PipelineStage[]): this {
    for (const s of stages)
      if (!(s instanceof Estimator) && !(s instanceof Transformer))
        throw new MLError("MR_ML_PARAM", "Pipeline: every stage must be an Estimator or a Transformer");
    return this.set("stages", [...stages]);
  }
  getStages(): PipelineStage[] {
    return this.getOrDefault("stages");
  }
  /** stages are saved as sub-directories, not in the paramMap */
  override paramMap(): Record<string, unknown> {
    return {};
  }

  fit(rows: Row[]): PipelineModel {
    const stages = this.getStages();
    let lastEstimator = -1;
    stages.forEach((s, i) => {
      if (s instanceof Estimator) lastEstimator = i;
    });
    let data = rows;
    const fitted: Transformer[] = [];
    stages.forEach((s, i) => {
      const t = s instanceof Estimator ? s.fit(data) : (s as Transformer);
      fitted.push(t);
      if (i < lastEstimator) data = t.transform(data);
    });
    return new PipelineModel(fitted, this.uid);
  }
}

export class PipelineModel extends Model {
  /** reads a PipelineModel saved with save(dir) */
  static load(dir: string): PipelineModel {
    if (!loader) throw new MLError("MR_ML_PERSIST", "import millrace/ml (src/ml/index.ts) to load stages");
    const m = loader(dir);
    if (!(m instanceof PipelineModel)) throw new MLError("MR_ML_PERSIST", `${dir} holds a ${m.constructor.name}`);
    return m;
  }
  constructor(
    readonly stages: Transformer[],
    uid?: string,
  ) {
    super("pipeline", {}, uid);
  }
  override transform(rows: Iterable<Row>): Row[] {
    let data = Array.from(rows);
    for (const s of this.stages) data = s.transform(data);
    return data;
  }
  override rowFunction(): (row: Row) => Row {
    const fns = this.stages.map((s) => s.rowFunction());
    return (row) => fns.reduce((r, f) => f(r), row);
  }
  transformRow(row: Row): Row {
    return this.rowFunction()(row);
  }
}
