/**
 * In-process routing of bootstrap addresses. When one process holds the
 * embedded broker and the agents and streaming apps that use it (millrace demo,
 * millrace run), those parts may still name the broker by its Kafka address
 * (`localhost:9092`, as in the article's configuration). The pipeline registers
 * its broker's addresses here with the broker's embedded TopicsPort, and the
 * Kafka channel/source/sink and the direct Kafka stream use that port instead of
 * opening a Kafka client to themselves.
 */
import type { TopicsPort } from "./port.js";

const routes = new Map<string, TopicsPort>();

function norm(addr: string): string {
  const a = addr
    .trim()
    .replace(/^PLAINTEXT:\/\//i, "")
    .toLowerCase();
  const m = /^(.*):(\d+)$/.exec(a);
  if (!m) return a;
  let host = m[1]!.replace(/^\[(.*)\]$/, "$1");
  if (host === "localhost" || host === "127.0.0.1" || host === "::1" || host === "0.0.0.0" || host === "")
    host = "127.0.0.1";
  return `${host}:${m[2]}`;
}

/** Routes `addresses` (host:port) to `port` until the returned function is called. */
export function registerInProcess(addresses: string[], port: TopicsPort): () => void {
  const keys = addresses.map(norm);
  for (const k of keys) routes.set(k, port);
  return () => {
    for (const k of keys) if (routes.get(k) === port) routes.delete(k);
  };
}

/** The in-process port for a bootstrap list (comma-separated) that names a registered broker, if any. */
export function inProcessTopics(bootstrap: string | undefined): TopicsPort | undefined {
  if (!bootstrap) return undefined;
  for (const a of bootstrap.split(",")) {
    const p = routes.get(norm(a));
    if (p) return p;
  }
  return undefined;
}
