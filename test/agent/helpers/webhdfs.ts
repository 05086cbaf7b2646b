/**
 * A tiny WebHDFS for tests: a namenode that redirects CREATE/APPEND (307) to a
 * datanode, MKDIRS and RENAME, all over a local directory `root`. failAppends
 * makes the next N APPENDs fail (500); ops records the namenode's requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { appendFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface MiniHdfs {
  nn: Server;
  dn: Server;
  nnPort: number;
  ops: string[];
  failAppends: number;
  close(): Promise<void>;
}

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return (s.address() as { port: number }).port;
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const c: Buffer[] = [];
    req.on("data", (d: Buffer) => c.push(d));
    req.on("end", () => resolve(Buffer.concat(c)));
  });
}

export async function miniHdfs(root: string): Promise<MiniHdfs> {
  const ops: string[] = [];
  const m = { ops, failAppends: 0 } as MiniHdfs;
  const local = (u: URL) => join(root, decodeURIComponent(u.pathname.replace(/^\/webhdfs\/v1/, "")));
  const json = (res: ServerResponse, status: number, v: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(v));
  };
  const err = (res: ServerResponse, status: number, exception: string, message: string) =>
    json(res, status, { RemoteException: { exception, message } });
  m.dn = createServer(async (req, res) => {
    const u = new URL(req.url!, "http://dn");
    const data = await body(req);
    const op = u.searchParams.get("op");
    const p = local(u);
    if (req.method === "PUT" && op === "CREATE") {
      if (existsSync(p) && u.searchParams.get("overwrite") !== "true")
        return err(res, 403, "FileAlreadyExistsException", p);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, data);
      res.writeHead(201, { location: `hdfs://x${u.pathname}` });
      return res.end();
    }
    if (req.method === "POST" && op === "APPEND") {
      if (m.failAppends > 0) {
        m.failAppends--;
        return err(res, 500, "IOException", "datanode down");
      }
      if (!existsSync(p)) return err(res, 404, "FileNotFoundException", p);
      appendFileSync(p, data);
      res.writeHead(200);
      return res.end();
    }
    err(res, 400, "IllegalArgumentException", `bad datanode op ${op}`);
  });
  const dnPort = await listen(m.dn);
  m.nn = createServer(async (req, res) => {
    const u = new URL(req.url!, "http://nn");
    await body(req);
    const op = u.searchParams.get("op")!;
    ops.push(
      `${req.method} ${op} ${decodeURIComponent(u.pathname.replace(/^\/webhdfs\/v1/, ""))} ` +
        `user=${u.searchParams.get("user.name")}`,
    );
    if (!u.searchParams.get("user.name")) return err(res, 401, "SecurityException", "no user.name");
    if ((req.method === "PUT" && op === "CREATE") || (req.method === "POST" && op === "APPEND")) {
      res.writeHead(307, { location: `http://127.0.0.1:${dnPort}${u.pathname}${u.search}&namenoderpcaddress=nn` });
      return res.end();
    }
    if (req.method === "PUT" && op === "MKDIRS") {
      mkdirSync(local(u), { recursive: true });
      return json(res, 200, { boolean: true });
    }
    if (req.method === "PUT" && op === "RENAME") {
      const dest = join(root, u.searchParams.get("destination")!);
      if (!existsSync(local(u))) return json(res, 200, { boolean: false });
      renameSync(local(u), dest);
      return json(res, 200, { boolean: true });
    }
    err(res, 400, "IllegalArgumentException", `bad op ${op}`);
  });
  m.nnPort = await listen(m.nn);
  m.close = async () => {
    await new Promise((r) => m.nn.close(r));
    await new Promise((r) => m.dn.close(r));
  };
  return m;
}
