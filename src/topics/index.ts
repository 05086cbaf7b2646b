/**
 * The topics entry point: TopicsPort (how the agent and the streaming engine
 * reach topics), its two adapters, and `openTopics`, the one place an adapter
 * is chosen (open.ts). The package exports it from src/index.ts.
 */
export * from "./port.js";
export { openTopics, sharedTopics, type TopicsSpec } from "./open.js";
export { registerInProcess, inProcessTopics } from "./inprocess.js";
export { EmbeddedTopics } from "./embedded.js";
export type { EmbeddedOptions, EmbeddedOpenOptions } from "./embedded.js";
export { RemoteTopics } from "./remote.js";
export type { RemoteOptions } from "./remote.js";
export { rangeAssign, roundRobinAssign, assignPartitions } from "./assignors.js";
export type { AssignorName, AssignorMember } from "./assignors.js";
