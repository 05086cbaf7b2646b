/**
 * InitProducerId v0-4 for idempotent producers (no transactions yet: a
 * transactional id is refused). Ids come in durably recorded blocks, so they
 * are never reused across restarts.
 */
import { ApiKey } from "../../protocol/apis.js";
import type { Decoded } from "../../protocol/codec.js";
import type { InitProducerIdRequestData, InitProducerIdResponseData } from "../../protocol/messages/index.js";
import type { ApiHandler, RequestContext } from "./types.js";

async function handle(
  ctx: RequestContext,
  req: Decoded<InitProducerIdRequestData>,
): Promise<InitProducerIdResponseData> {
  const r = await ctx.broker.producerIds.initProducerId({
    transactionalId: req.transactionalId,
    transactionTimeoutMs: req.transactionTimeoutMs,
    producerId: req.producerId ?? -1n,
    producerEpoch: req.producerEpoch ?? -1,
  });
  if (r.message) ctx.broker.logger.info({ client: ctx.header.clientId, errorCode: r.errorCode }, r.message);
  return { throttleTimeMs: 0, errorCode: r.errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
}

export const initProducerId: ApiHandler<InitProducerIdRequestData, InitProducerIdResponseData> = {
  key: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 4,
  handle,
};
