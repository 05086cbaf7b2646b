/**
 * The classic consumer group coordinator (JoinGroup/SyncGroup/Heartbeat/LeaveGroup,
 * offsets, group administration), independent of the wire protocol.
 */
export { GroupCoordinator } from "./coordinator.js";
export type { GroupCoordinatorOptions } from "./coordinator.js";
export * from "./types.js";
export { GroupCoordinatorError } from "./errors.js";
export type { GroupCoordinatorErrorCode } from "./errors.js";
export { InMemoryGroupStore } from "./store.js";
export type { GroupStore, GroupStoreRecord } from "./store.js";
export { ManualScheduler, systemScheduler } from "./scheduler.js";
export type { Scheduler, TimerHandle } from "./scheduler.js";
export { CONSUMER_PROTOCOL_TYPE, parseSubscribedTopics } from "../../protocol/consumer-protocol.js";
export * from "./records.js";
