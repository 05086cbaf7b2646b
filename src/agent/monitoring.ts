/**
 * Flume's http monitoring (-Dflume.monitoring.type=http -Dflume.monitoring.port=34545):
 * GET /metrics answers the counters as JSON, {"CHANNEL.c1": {"ChannelSize": "0", ...}, ...}.
 * type=prometheus (a millrace extension) serves the shared registry's text format.
 */
import { createServer, type Server } from "node:http";
import { ConfigError } from "../errors.js";
import { registry } from "../metrics/registry.js";
import { monitoringSnapshot } from "./counters.js";

export interface MonitoringServer {
  port: number;
  close(): Promise<void>;
}

export async function startMonitoring(
  sysprops: Record<string, string>,
  agent?: string,
): Promise<MonitoringServer | null> {
  const type = sysprops["flume.monitoring.type"];
  if (type === undefined) return null;
  const t = type.toLowerCase();
  if (t !== "http" && t !== "prometheus" && t !== "org.apache.flume.instrumentation.http.httpmetricsserver") {
    throw new ConfigError("MR_CONFIG_INVALID", `-Dflume.monitoring.type=${type} is not supported (http or prometheus)`);
  }
  const portStr = sysprops["flume.monitoring.port"] ?? "41414";
  if (!/^\d+$/.test(portStr) || Number(portStr) > 65535)
    throw new ConfigError("MR_CONFIG_INVALID", `-Dflume.monitoring.port=${portStr} is not a port number`);
  const host = sysprops["flume.monitoring.bind"] ?? "0.0.0.0";
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found: GET /metrics\n");
      return;
    }
    if (t === "prometheus") {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        },
      );
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(monitoringSnapshot(agent)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(portStr), host, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
