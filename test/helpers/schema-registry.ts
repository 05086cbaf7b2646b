import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import avro from "avsc";

/**
 * A tiny registry answering the way Confluent's does: content type
 * application/vnd.schemaregistry.v1+json, errors as {error_code, message}
 * (40401 subject not found, 40403 schema not found, 42201 invalid schema,
 * 50001 backend error). Ids are global; the same schema text gets the same id.
 */
export interface FakeRegistry {
  server: Server;
  url: string;
  requests: string[];
  failNext: number;
  close(): Promise<void>;
}

export async function startRegistry(): Promise<FakeRegistry> {
  const ids = new Map<string, number>();
  const schemas = new Map<number, string>();
  const subjects = new Map<string, { id: number; version: number }[]>();
  const reg: Partial<FakeRegistry> = { requests: [], failNext: 0 };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/vnd.schemaregistry.v1+json" });
    res.end(JSON.stringify(body));
  };
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://x");
    reg.requests!.push(`${req.method} ${url.pathname}`);
    if (reg.failNext! > 0) {
      reg.failNext!--;
      return send(res, 500, { error_code: 50001, message: "Error in the backend data store" });
    }
    let m: RegExpMatchArray | null;
    if (req.method === "POST" && (m = url.pathname.match(/^\/subjects\/([^/]+)\/versions$/))) {
      const subject = decodeURIComponent(m[1]);
      if (!String(req.headers["content-type"]).startsWith("application/vnd.schemaregistry.v1+json")) {
        return send(res, 415, { error_code: 415, message: "HTTP 415 Unsupported Media Type" });
      }
      let text: string;
      try {
        text = (JSON.parse(Buffer.concat(chunks).toString()) as { schema: string }).schema;
        avro.Type.forSchema(JSON.parse(text));
      } catch (err) {
        return send(res, 422, { error_code: 42201, message: `Invalid schema ${(err as Error).message}` });
      }
      let id = ids.get(text);
      if (id === undefined) {
        id = ids.size + 1;
        ids.set(text, id);
        schemas.set(id, text);
      }
      const versions = subjects.get(subject) ?? [];
      if (!versions.some((v) => v.id === id)) versions.push({ id, version: versions.length + 1 });
      subjects.set(subject, versions);
      return send(res, 200, { id });
    }
    if (req.method === "GET" && (m = url.pathname.match(/^\/schemas\/ids\/(\d+)$/))) {
      const s = schemas.get(Number(m[1]));
      if (!s) return send(res, 404, { error_code: 40403, message: "Schema not found" });
      return send(res, 200, { schema: s });
    }
    if (req.method === "GET" && (m = url.pathname.match(/^\/subjects\/([^/]+)\/versions\/latest$/))) {
      const subject = decodeURIComponent(m[1]);
      const versions = subjects.get(subject);
      if (!versions) return send(res, 404, { error_code: 40401, message: `Subject '${subject}' not found.` });
      const v = versions[versions.length - 1];
      return send(res, 200, { subject, id: v.id, version: v.version, schema: schemas.get(v.id) });
    }
    send(res, 404, { error_code: 404, message: "HTTP 404 Not Found" });
  };
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return Object.assign(reg, {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  }) as FakeRegistry;
}
