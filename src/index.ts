/** The millrace package: `import { StreamingContext, KafkaUtils } from "millrace"`. */
export * from "./streaming/index.js";
export { EmbeddedTopics } from "./topics/embedded.js";
export { RemoteTopics } from "./topics/remote.js";
export type { TopicsPort, ConsumedRecord, ProduceRecord } from "./topics/port.js";
export { MillraceError, ConfigError } from "./errors.js";
