/**
 * The one place a topics adapter is chosen. `openTopics` picks it from a
 * pipeline's settings: `embedded` (a data directory opened in this process, or
 * an existing port such as `broker.embeddedTopics()`) or `bootstrap.servers`
 * (a Kafka cluster or a millrace broker over TCP; when the list names a broker
 * of this very process, registered in inprocess.ts, its in-process port).
 *
 * The caller closes what it gets. A port openTopics did not open (one passed
 * in, or an in-process broker's) comes as a shared view: closing the view makes
 * the group members joined through it leave and leaves the port open.
 *
 * The adapters are loaded on demand, so an app on the embedded log does not
 * load the Kafka client library, and one on a cluster does not load the log.
 */
import type { EmbeddedOpenOptions } from "./embedded.js";
import { inProcessTopics } from "./inprocess.js";
import {
  TopicsError,
  type CommittedOffset,
  type FetchOptions,
  type FetchResult,
  type GroupMember,
  type JoinOptions,
  type OffsetSpec,
  type ProduceOptions,
  type ProduceRecord,
  type TopicDescription,
  type TopicsPort,
  leaveAll,
} from "./port.js";

export type TopicsSpec =
  | { embedded: ({ dataDir: string } & Partial<Omit<EmbeddedOpenOptions, "dataDir">>) | TopicsPort }
  | {
      /** bootstrap.servers: "host:port[,host:port...]" */
      bootstrapServers: string;
      /** client.id of the Kafka client (default "millrace") */
      clientId?: string;
      /** use the in-process port of a broker of this process that the list names (default true) */
      inProcess?: boolean;
    };

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
 * port (its close() closes the log); `{ embedded: port }` gives a shared view
 * of that port; `{ bootstrapServers }` gives a shared view of the in-process
 * broker the list names, or else connects the remote adapter.
 */
export async function openTopics(spec: TopicsSpec): Promise<TopicsPort> {
  if ("embedded" in spec) {
    const e = spec.embedded;
    if (isPort(e)) return sharedTopics(e);
    if (!e || typeof e.dataDir !== "string" || e.dataDir === "") {
      throw new TopicsError("MR_TOPICS_SPEC", "embedded topics need a dataDir (or an EmbeddedTopics instance)");
    }
    const { EmbeddedTopics } = await import("./embedded.js");
    return EmbeddedTopics.open(e);
  }
  if ("bootstrapServers" in spec) {
    if (typeof spec.bootstrapServers !== "string" || spec.bootstrapServers.trim() === "") {
      throw new TopicsError("MR_TOPICS_SPEC", "bootstrapServers must be a non-empty host:port list");
    }
    const local = spec.inProcess === false ? undefined : inProcessTopics(spec.bootstrapServers);
    if (local) return sharedTopics(local);
    const { RemoteTopics } = await import("./remote.js");
    return new RemoteTopics({ bootstrapServers: spec.bootstrapServers, clientId: spec.clientId });
  }
  throw new TopicsError("MR_TOPICS_SPEC", "give either { embedded: { dataDir } } or { bootstrapServers }");
}

/**
 * A view of `port` that its holder may close: close() makes the members joined
 * through the view leave, and leaves `port` open for its other users.
 */
export function sharedTopics(port: TopicsPort): TopicsPort {
  return new SharedTopics(port);
}

class SharedTopics implements TopicsPort {
  private readonly members = new Set<GroupMember>();
  private closed = false;
  constructor(private readonly port: TopicsPort) {}

  get kind(): string {
    return this.port.kind;
  }

  private open(): TopicsPort {
    if (this.closed) throw new TopicsError("MR_TOPICS_CLOSED", "the topics port is closed");
    return this.port;
  }

  async createTopic(
    name: string,
    opts?: { partitions?: number; configs?: Record<string, string>; ifNotExists?: boolean },
  ): Promise<void> {
    return this.open().createTopic(name, opts);
  }
  async describeTopic(name: string): Promise<TopicDescription | null> {
    return this.open().describeTopic(name);
  }
  async listTopics(): Promise<string[]> {
    return this.open().listTopics();
  }
  async deleteTopic(name: string): Promise<void> {
    return this.open().deleteTopic(name);
  }
  async produce(topic: string, partition: number, records: ProduceRecord[], opts?: ProduceOptions): Promise<bigint> {
    return this.open().produce(topic, partition, records, opts);
  }
  async fetch(topic: string, partition: number, from: bigint, opts?: FetchOptions): Promise<FetchResult> {
    return this.open().fetch(topic, partition, from, opts);
  }
  async listOffset(topic: string, partition: number, spec: OffsetSpec): Promise<bigint> {
    return this.open().listOffset(topic, partition, spec);
  }
  async commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void> {
    return this.open().commitOffsets(group, offsets);
  }
  async fetchOffsets(group: string, topics: string[]): Promise<CommittedOffset[]> {
    return this.open().fetchOffsets(group, topics);
  }
  async joinGroup(group: string, topics: string[], opts?: JoinOptions): Promise<GroupMember> {
    const m = await this.open().joinGroup(group, topics, opts);
    if (this.closed) {
      await m.leave();
      throw new TopicsError("MR_TOPICS_CLOSED", "the topics port is closed");
    }
    this.members.add(m);
    return m;
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await leaveAll(this.members);
    this.members.clear();
  }
}
