/**
 * TopicsPort: the one way the agent and the streaming engine reach topics.
 * `openTopics` picks the adapter from a pipeline's settings: `embedded` (a
 * data directory opened in this process, or an existing embedded port such
 * as `broker.embeddedTopics()`) or `bootstrap.servers` (a Kafka cluster or a
 * millrace broker over TCP).
 */
import { EmbeddedTopics, type EmbeddedOpenOptions } from "./embedded.js";
import { RemoteTopics } from "./remote.js";
import { TopicsError, type TopicsPort } from "./port.js";

export * from "./port.js";
export { EmbeddedTopics } from "./embedded.js";
export type { EmbeddedOptions, EmbeddedOpenOptions } from "./embedded.js";
export { RemoteTopics } from "./remote.js";
export type { RemoteOptions } from "./remote.js";
export { rangeAssign, roundRobinAssign, assignPartitions } from "./assignors.js";
export type { AssignorName, AssignorMember } from "./assignors.js";

export type TopicsSpec =
  | { embedded: ({ dataDir: string } & Partial<Omit<EmbeddedOpenOptions, "dataDir">>) | TopicsPort }
  | { bootstrapServers: string; clientId?: string };

function isPort(x: unknown): x is TopicsPort {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as TopicsPort).produce === "function" &&
    typeof (x as TopicsPort).joinGroup === "function"
  );
}

/**
 * Opens a TopicsPort. `{ embedded: { dataDir } }` opens a standalone embedded
 * port (its close() closes the log); `{ embedded: port }` returns that port
 * as is; `{ bootstrapServers }` connects the remote adapter.
 */
export async function openTopics(spec: TopicsSpec): Promise<TopicsPort> {
  if ("embedded" in spec) {
    const e = spec.embedded;
    if (isPort(e)) return e;
    if (!e || typeof e.dataDir !== "string" || e.dataDir === "") {
      throw new TopicsError("MR_TOPICS_SPEC", "embedded topics need a dataDir (or an EmbeddedTopics instance)");
    }
    return EmbeddedTopics.open(e);
  }
  if ("bootstrapServers" in spec) {
    if (typeof spec.bootstrapServers !== "string" || spec.bootstrapServers.trim() === "") {
      throw new TopicsError("MR_TOPICS_SPEC", "bootstrapServers must be a non-empty host:port list");
    }
    return new RemoteTopics({ bootstrapServers: spec.bootstrapServers, clientId: spec.clientId });
  }
  throw new TopicsError("MR_TOPICS_SPEC", "give either { embedded: { dataDir } } or { bootstrapServers }");
}
