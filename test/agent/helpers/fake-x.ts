/**
 * A local X API v2 for tests: POST /oauth2/token (client credentials ck:cs ->
 * APPTOKEN), the filtered-stream rules endpoint (GET, POST add, POST delete),
 * and the filtered/sample streams, whose n-th connection follows `scripts[n]`.
 */
import http from "node:http";

export function tweet(n: number): string {
  return JSON.stringify({
    data: {
      id: String(1000 + n),
      text: `tweet ${n} about #flume`,
      created_at: new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString(),
      author_id: "42",
    },
    includes: { users: [{ id: "42", username: "alice", name: "Alice" }] },
    matching_rules: [{ id: "r1", tag: "millrace" }],
  });
}

export type Script = (res: http.ServerResponse, req: http.IncomingMessage) => void;

export interface FakeX {
  url: string;
  server: http.Server;
  rules: { id: string; value: string; tag?: string }[];
  ruleCalls: string[];
  tokenCalls: number;
  streamRequests: { path: string; auth: string | undefined; at: number }[];
  close(): Promise<void>;
}

/** A local X API v2: oauth2/token, stream rules, and a stream whose connections follow `scripts`. */
export async function fakeX(
  scripts: Script[],
  opts: { rules?: { id: string; value: string; tag?: string }[] } = {},
): Promise<FakeX> {
  const state: Omit<FakeX, "url" | "server" | "close"> = {
    rules: opts.rules ?? [],
    ruleCalls: [],
    tokenCalls: 0,
    streamRequests: [],
  };
  let nextRuleId = 100;
  let conn = 0;
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (u.pathname === "/oauth2/token" && req.method === "POST") {
        state.tokenCalls++;
        const expect = "Basic " + Buffer.from("ck:cs").toString("base64");
        if (req.headers.authorization !== expect || body !== "grant_type=client_credentials") {
          res.writeHead(403).end(JSON.stringify({ errors: [{ message: "bad credentials" }] }));
          return;
        }
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ token_type: "bearer", access_token: "APPTOKEN" }));
        return;
      }
      if (req.headers.authorization !== "Bearer APPTOKEN") {
        res.writeHead(401).end(JSON.stringify({ title: "Unauthorized" }));
        return;
      }
      if (u.pathname === "/2/tweets/search/stream/rules") {
        if (req.method === "GET") {
          state.ruleCalls.push("GET");
          res.writeHead(200, { "content-type": "application/json" }).end(
            JSON.stringify({
              data: state.rules.length ? state.rules : undefined,
              meta: { result_count: state.rules.length },
            }),
          );
          return;
        }
        const b = JSON.parse(body) as { add?: { value: string; tag?: string }[]; delete?: { ids: string[] } };
        if (b.add) {
          state.ruleCalls.push("ADD " + b.add.map((r) => `${r.value}/${r.tag}`).join(","));
          const data = b.add.map((r) => ({ id: String(nextRuleId++), value: r.value, tag: r.tag }));
          state.rules.push(...data);
          res
            .writeHead(201, { "content-type": "application/json" })
            .end(JSON.stringify({ data, meta: { summary: { created: data.length } } }));
          return;
        }
        if (b.delete) {
          state.ruleCalls.push("DELETE " + b.delete.ids.join(","));
          state.rules = state.rules.filter((r) => !b.delete!.ids.includes(r.id));
          res
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ meta: { summary: { deleted: b.delete.ids.length } } }));
          return;
        }
      }
      if (u.pathname === "/2/tweets/search/stream" || u.pathname === "/2/tweets/sample/stream") {
        state.streamRequests.push({ path: req.url ?? "", auth: req.headers.authorization, at: Date.now() });
        const script = scripts[Math.min(conn++, scripts.length - 1)]!;
        open.add(res);
        res.on("close", () => open.delete(res));
        script(res, req);
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const fx = state as FakeX;
  fx.url = `http://127.0.0.1:${port}`;
  fx.server = server;
  fx.close = async () => {
    for (const r of open) r.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return fx;
}

export const ok = (res: http.ServerResponse) => res.writeHead(200, { "content-type": "application/json" });
/** a stream that sends `lines` then stays open with keep-alives */
export const steady =
  (lines: string[]): Script =>
  (res) => {
    ok(res);
    for (const l of lines) res.write(l + "\r\n");
    const t = setInterval(() => res.write("\r\n"), 50);
    res.on("close", () => clearInterval(t));
  };
