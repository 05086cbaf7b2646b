/** The millrace package: `import { StreamingContext, KafkaUtils } from "millrace"`. */
export * from "./streaming/index.js";
export {
  openTopics,
  sharedTopics,
  EmbeddedTopics,
  RemoteTopics,
  TopicsError,
  type TopicsSpec,
  type TopicsPort,
  type ConsumedRecord,
  type ProduceRecord,
} from "./topics/index.js";
export { SchemaRegistryClient, type SchemaRegistryClientOptions } from "./formats/schema-registry.js";
export { readJsonLines, parseJsonLines, toJsonLines, toJsonLine } from "./formats/json-lines.js";
export { MillraceError, ConfigError } from "./errors.js";
export { publishOutput, publishLatency } from "./ui/feed.js";
export type { OutputInfo } from "./ui/sources.js";
export { parsePost, type Post } from "./social/model.js";
export { scorePost, scoreText } from "./social/sentiment.js";
export { hashtagKey } from "./social/entities.js";
export { decodeAvroFlumeEvent } from "./formats/avro-flume-event.js";
