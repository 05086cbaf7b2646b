/** millrace/ml: feature transformers, estimators and streaming learners with Spark ML's semantics. */
export { MLError } from "./errors.js";
export { DenseVector, SparseVector, Vectors, isVector, type Vector } from "./linalg.js";
export { Params, type Row } from "./param.js";
export { Estimator, Model, PipelineStage, Transformer, UnaryTransformer } from "./pipeline-stage.js";
export { NGram, RegexTokenizer, Stemmer, StopWordsRemover, Tokenizer } from "./feature/text.js";
export { HashingTF, murmur3x86_32 } from "./feature/hashing-tf.js";
export { IDF, IDFModel } from "./feature/idf.js";
export { CountVectorizer, CountVectorizerModel } from "./feature/count-vectorizer.js";
export { StandardScaler, StandardScalerModel, VectorAssembler } from "./feature/vectors.js";
export { minimize, type MinimizeOptions, type MinimizeResult, type Objective } from "./optim/lbfgs.js";
export {
  ClassificationModel,
  PredictionModel,
  Predictor,
  ProbabilisticClassificationModel,
  ProbabilisticClassifier,
} from "./predictor.js";
export { LogisticRegression, LogisticRegressionModel } from "./classification/logistic-regression.js";
export { NaiveBayes, NaiveBayesModel } from "./classification/naive-bayes.js";
export { LinearRegression, LinearRegressionModel } from "./regression/linear-regression.js";
export { XORShiftRandom } from "./random.js";
export { LabeledPoint } from "./streaming/model-stream.js";
export { StreamingKMeans, StreamingKMeansModel } from "./streaming/streaming-kmeans.js";
export {
  GeneralizedLinearModel,
  LinearRegressionWithSGDModel,
  LogisticRegressionWithSGDModel,
  StreamingLinearRegressionWithSGD,
  StreamingLogisticRegressionWithSGD,
  runMiniBatchSGD,
} from "./streaming/streaming-sgd.js";
export { Pipeline, PipelineModel } from "./pipeline.js";
export { FORMAT_VERSION, loadStage, registerStage, saveStage } from "./persist.js";
export {
  BinaryClassificationEvaluator,
  ClusteringEvaluator,
  type ConfusionMatrix,
  Evaluator,
  MulticlassClassificationEvaluator,
  RegressionEvaluator,
  randomSplit,
} from "./evaluation.js";
export {
  DecisionTreeClassificationModel,
  DecisionTreeClassifier,
  DecisionTreeRegressionModel,
  DecisionTreeRegressor,
  RandomForestClassificationModel,
  RandomForestClassifier,
} from "./tree/decision-tree.js";
export { continuousSplits, type TreeNode } from "./tree/tree.js";
export { KMeans, KMeansModel } from "./clustering/kmeans.js";
