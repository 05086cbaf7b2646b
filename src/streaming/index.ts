export { StreamingContext, type StreamingContextOptions } from "./context.js";
export type { BatchInfo, StageInfo } from "./scheduler.js";
export { DStream, InputDStream, MapWithStateDStream } from "./dstream.js";
export { RDD, type OffsetRange } from "./rdd.js";
export {
  KafkaUtils,
  DirectKafkaInputDStream,
  type ConsumerRecord,
  type DirectStreamOptions,
  type TopicPartition,
} from "./kafka.js";
export { StateSpec, State } from "./state.js";
export {
  decoders,
  stringDecoder,
  jsonDecoder,
  bytesDecoder,
  avroFlumeEventDecoder,
  avroDecoder,
  avroRegistryDecoder,
  stringDecoderOf,
  jsonDecoderOf,
  type Decoder,
  type AsyncDecoder,
  type TextDecoderOptions,
} from "../formats/decoders.js";
export { StreamingError, TaskFailedError } from "./errors.js";
export { keyOf } from "./keys.js";
export { isStreamingWorker } from "./worker.js";
