/** The millrace package: `import { StreamingContext, KafkaUtils } from "millrace"`. */
export * from "./streaming/index.js";
export { EmbeddedTopics } from "./topics/embedded.js";
export { RemoteTopics } from "./topics/remote.js";
export type { TopicsPort, ConsumedRecord, ProduceRecord } from "./topics/port.js";
export { MillraceError, ConfigError } from "./errors.js";
export { publishOutput, publishLatency } from "./ui/feed.js";
export type { OutputInfo } from "./ui/sources.js";
export { parsePost, type Post } from "./social/model.js";
export { scorePost, scoreText } from "./social/sentiment.js";
export { hashtagKey } from "./social/entities.js";
export { decodeAvroFlumeEvent } from "./formats/avro-flume-event.js";
