/**
 * The classic consumer group APIs: FindCoordinator 0-4, JoinGroup 0-7,
 * SyncGroup 0-5, Heartbeat 0-4, LeaveGroup 0-5, OffsetCommit 0-8,
 * OffsetFetch 1-8, ListGroups 0-4, DescribeGroups 0-5, DeleteGroups 0-2 and
 * OffsetDelete 0. The group state machine lives in coordinator/groups; these
 * handlers only shape each version's request and response.
 */
import { ApiKey } from "../../protocol/apis.js";
import { ErrorCode } from "../../protocol/errors.js";
import type { Decoded } from "../../protocol/codec.js";
import type * as W from "../../protocol/messages/index.js";
import type { AnyApiHandler, RequestContext } from "./types.js";

const GROUP_KEY = 0;

function clientHost(ctx: RequestContext): string {
  return `/${ctx.connection.socket.remoteAddress ?? "unknown"}`;
}

function findCoordinator(
  ctx: RequestContext,
  req: Decoded<W.FindCoordinatorRequestData>,
): W.FindCoordinatorResponseData {
  const { broker, apiVersion: v } = ctx;
  const adv = broker.advertisedAddress(ctx.connection.listener);
  const keyType = req.keyType ?? GROUP_KEY;
  const answer = (key: string) =>
    keyType === GROUP_KEY
      ? {
          key,
          nodeId: broker.config.nodeId,
          host: adv.host,
          port: adv.port,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
        }
      : // Transactions are not implemented: fail fast rather than have clients retry until they time out.
        {
          key,
          nodeId: -1,
          host: "",
          port: -1,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: "transactions are not supported yet",
        };
  if (v >= 4) return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map(answer) };
  const a = answer(req.key);
  return {
    throttleTimeMs: 0,
    errorCode: a.errorCode,
    errorMessage: a.errorMessage,
    nodeId: a.nodeId,
    host: a.host,
    port: a.port,
  };
}

async function joinGroup(ctx: RequestContext, req: Decoded<W.JoinGroupRequestData>): Promise<W.JoinGroupResponseData> {
  const res = await ctx.broker.groups.joinGroup({
    apiVersion: ctx.apiVersion,
    clientId: ctx.header.clientId ?? "",
    clientHost: clientHost(ctx),
    groupId: req.groupId,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: ctx.apiVersion >= 1 ? req.rebalanceTimeoutMs : undefined,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    protocolType: req.protocolType,
    protocols: req.protocols,
    reason: req.reason,
  });
  return { throttleTimeMs: 0, ...res, protocolName: ctx.apiVersion >= 7 ? res.protocolName : (res.protocolName ?? "") };
}

async function syncGroup(ctx: RequestContext, req: Decoded<W.SyncGroupRequestData>): Promise<W.SyncGroupResponseData> {
  const res = await ctx.broker.groups.syncGroup({
    apiVersion: ctx.apiVersion,
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    protocolType: ctx.apiVersion >= 5 ? req.protocolType : undefined,
    protocolName: ctx.apiVersion >= 5 ? req.protocolName : undefined,
    assignments: req.assignments,
  });
  return { throttleTimeMs: 0, ...res };
}

async function heartbeat(ctx: RequestContext, req: Decoded<W.HeartbeatRequestData>): Promise<W.HeartbeatResponseData> {
  const res = await ctx.broker.groups.heartbeat({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
  });
  return { throttleTimeMs: 0, ...res };
}

async function leaveGroup(
  ctx: RequestContext,
  req: Decoded<W.LeaveGroupRequestData>,
): Promise<W.LeaveGroupResponseData> {
  const res = await ctx.broker.groups.leaveGroup(
    ctx.apiVersion >= 3
      ? { groupId: req.groupId, members: req.members }
      : { groupId: req.groupId, memberId: req.memberId },
  );
  if (ctx.apiVersion < 3) {
    // One member, one top-level error.
    const e = res.errorCode !== ErrorCode.NONE ? res.errorCode : (res.members[0]?.errorCode ?? ErrorCode.NONE);
    return { throttleTimeMs: 0, errorCode: e, members: [] };
  }
  return { throttleTimeMs: 0, ...res };
}

async function offsetCommit(
  ctx: RequestContext,
  req: Decoded<W.OffsetCommitRequestData>,
): Promise<W.OffsetCommitResponseData> {
  const { broker } = ctx;
  // Unknown topics or partitions are answered per partition and not committed.
  const known: W.OffsetCommitRequestTopic[] = [];
  const unknown: W.OffsetCommitResponseTopic[] = [];
  for (const t of req.topics) {
    const info = broker.log.topic(t.name);
    const ok = t.partitions.filter((p) => info && p.partitionIndex >= 0 && p.partitionIndex < info.partitions.length);
    const bad = t.partitions.filter((p) => !ok.includes(p));
    if (ok.length) known.push({ ...t, partitions: ok });
    if (bad.length)
      unknown.push({
        name: t.name,
        partitions: bad.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        })),
      });
  }
  const res = known.length
    ? await broker.groups.commitOffsets({
        groupId: req.groupId,
        generationIdOrMemberEpoch: ctx.apiVersion >= 1 ? req.generationIdOrMemberEpoch : -1,
        memberId: ctx.apiVersion >= 1 ? req.memberId : "",
        groupInstanceId: req.groupInstanceId,
        retentionTimeMs: ctx.apiVersion >= 2 && ctx.apiVersion <= 4 ? req.retentionTimeMs : -1n,
        topics: known,
      })
    : { topics: [] };
  return { throttleTimeMs: 0, topics: [...res.topics, ...unknown] };
}

async function offsetFetch(
  ctx: RequestContext,
  req: Decoded<W.OffsetFetchRequestData>,
): Promise<W.OffsetFetchResponseData> {
  const { broker, apiVersion: v } = ctx;
  if (v >= 8) {
    const groups = [];
    for (const g of req.groups) {
      const r = await broker.groups.fetchOffsets({
        groupId: g.groupId,
        topics: g.topics,
        requireStable: req.requireStable,
      });
      groups.push({ groupId: g.groupId, topics: r.topics, errorCode: r.errorCode });
    }
    return { throttleTimeMs: 0, groups };
  }
  const r = await broker.groups.fetchOffsets({
    groupId: req.groupId,
    topics: req.topics,
    requireStable: req.requireStable,
  });
  let topics = r.topics;
  if (v < 2 && r.errorCode !== ErrorCode.NONE) {
    // v1 has no top-level error: each partition carries it.
    topics = topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, errorCode: r.errorCode })) }));
  }
  return { throttleTimeMs: 0, topics, errorCode: r.errorCode };
}

async function listGroups(
  ctx: RequestContext,
  req: Decoded<W.ListGroupsRequestData>,
): Promise<W.ListGroupsResponseData> {
  const res = await ctx.broker.groups.listGroups({ statesFilter: req.statesFilter, typesFilter: req.typesFilter });
  return { throttleTimeMs: 0, ...res };
}

async function describeGroups(
  ctx: RequestContext,
  req: Decoded<W.DescribeGroupsRequestData>,
): Promise<W.DescribeGroupsResponseData> {
  const res = await ctx.broker.groups.describeGroups({ groups: req.groups });
  // No authorization exists: every operation is allowed when asked for.
  const ops = req.includeAuthorizedOperations ? 0b1111111111110 : -2147483648;
  return { throttleTimeMs: 0, groups: res.groups.map((g) => ({ ...g, authorizedOperations: ops })) };
}

async function deleteGroups(
  ctx: RequestContext,
  req: Decoded<W.DeleteGroupsRequestData>,
): Promise<W.DeleteGroupsResponseData> {
  const res = await ctx.broker.groups.deleteGroups({ groupsNames: req.groupsNames });
  return { throttleTimeMs: 0, ...res };
}

async function offsetDelete(
  ctx: RequestContext,
  req: Decoded<W.OffsetDeleteRequestData>,
): Promise<W.OffsetDeleteResponseData> {
  const res = await ctx.broker.groups.deleteOffsets({ groupId: req.groupId, topics: req.topics });
  return { throttleTimeMs: 0, ...res };
}

/** Each handle is typed by its API's generated request and response. */
export const groupHandlers: AnyApiHandler[] = [
  { key: ApiKey.FindCoordinator, minVersion: 0, maxVersion: 4, handle: findCoordinator },
  { key: ApiKey.JoinGroup, minVersion: 0, maxVersion: 7, handle: joinGroup },
  { key: ApiKey.SyncGroup, minVersion: 0, maxVersion: 5, handle: syncGroup },
  { key: ApiKey.Heartbeat, minVersion: 0, maxVersion: 4, handle: heartbeat },
  { key: ApiKey.LeaveGroup, minVersion: 0, maxVersion: 5, handle: leaveGroup },
  { key: ApiKey.OffsetCommit, minVersion: 0, maxVersion: 8, handle: offsetCommit },
  { key: ApiKey.OffsetFetch, minVersion: 1, maxVersion: 8, handle: offsetFetch },
  { key: ApiKey.ListGroups, minVersion: 0, maxVersion: 4, handle: listGroups },
  { key: ApiKey.DescribeGroups, minVersion: 0, maxVersion: 5, handle: describeGroups },
  { key: ApiKey.DeleteGroups, minVersion: 0, maxVersion: 2, handle: deleteGroups },
  { key: ApiKey.OffsetDelete, minVersion: 0, maxVersion: 0, handle: offsetDelete },
];
