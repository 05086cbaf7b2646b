/**
 * Where the hdfs sink writes: the local filesystem (plain paths, file://) or HDFS
 * through the WebHDFS REST API (hdfs://host:port/..., webhdfs://host:port/...; the
 * port is the namenode's HTTP port). WebHDFS CREATE and APPEND are two-step: the
 * namenode answers 307 with a datanode Location, the data goes there.
 * A write has resolved only when the data is durable: fdatasync locally, a
 * successful HTTP response for WebHDFS.
 */
import { mkdir, open, rename } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { request } from "node:http";
import { userInfo } from "node:os";
import { dirname } from "node:path";
import { AgentError } from "../../api.js";

export interface OutFile {
  /** appends and makes durable */
  write(data: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface SinkFs {
  create(path: string, initial: Buffer): Promise<OutFile>;
  rename(from: string, to: string): Promise<void>;
}

export class HdfsIoError extends AgentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MR_AGENT_HDFS_IO", message, options);
  }
}

export class LocalFs implements SinkFs {
  async create(path: string, initial: Buffer): Promise<OutFile> {
    await mkdir(dirname(path), { recursive: true });
    const fh: FileHandle = await open(path, "wx");
    const f: OutFile = {
      async write(data) {
        if (data.length > 0) await fh.write(data);
        await fh.datasync();
      },
      async close() {
        await fh.close();
      },
    };
    if (initial.length > 0) await f.write(initial);
    return f;
  }
  async rename(from: string, to: string): Promise<void> {
    await rename(from, to);
  }
}

/** strips file:// from a local path */
export function localPath(p: string): string {
  return p.startsWith("file://") ? p.slice("file://".length) : p;
}

export function isWebHdfs(p: string): boolean {
  return /^(hdfs|webhdfs):\/\//i.test(p);
}

interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(method: string, url: URL, body: Buffer | null, timeoutMs: number): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: body
          ? { "content-type": "application/octet-stream", "content-length": body.length }
          : { "content-length": 0 },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(new HdfsIoError(`WebHDFS ${method} ${url.pathname} timed out after ${timeoutMs} ms`)),
    );
    req.on("error", reject);
    req.end(body ?? undefined);
  });
}

function remoteMessage(r: HttpResult): string {
  try {
    const j = JSON.parse(r.body) as { RemoteException?: { exception?: string; message?: string } };
    if (j.RemoteException) return `${j.RemoteException.exception}: ${j.RemoteException.message}`;
  } catch {
    // not JSON
  }
  return r.body.slice(0, 200);
}

export class WebHdfs implements SinkFs {
  constructor(
    private readonly user = process.env.HADOOP_USER_NAME ?? userInfo().username,
    private readonly timeoutMs = 10_000,
  ) {}

  /** hdfs://host:port/path -> http://host:port/webhdfs/v1/path?op=..&user.name=.. */
  url(path: string, op: string, extra: Record<string, string> = {}): URL {
    const m = /^(?:hdfs|webhdfs):\/\/([^/]+)(\/.*)?$/i.exec(path);
    if (!m) throw new HdfsIoError(`not an hdfs:// path: ${path}`);
    const u = new URL(`http://${m[1]}/webhdfs/v1${encodeURI(m[2] ?? "/")}`);
    u.searchParams.set("op", op);
    u.searchParams.set("user.name", this.user);
    for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
    return u;
  }

  private async call(method: string, url: URL, body: Buffer | null, ok: number[]): Promise<HttpResult> {
    let r: HttpResult;
    try {
      r = await http(method, url, null, this.timeoutMs);
      if (r.status === 307 || r.status === 302) {
        const loc = r.headers.location;
        if (typeof loc !== "string")
          throw new HdfsIoError(`WebHDFS ${url.searchParams.get("op")}: redirect without Location`);
        r = await http(method, new URL(loc, url), body, this.timeoutMs);
      }
    } catch (err) {
      if (err instanceof HdfsIoError) throw err;
      throw new HdfsIoError(`WebHDFS ${url.searchParams.get("op")} ${url.pathname}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!ok.includes(r.status))
      throw new HdfsIoError(
        `WebHDFS ${url.searchParams.get("op")} ${url.pathname} failed (${r.status}): ${remoteMessage(r)}`,
      );
    return r;
  }

  async mkdirs(dir: string): Promise<void> {
    await this.call("PUT", this.url(dir, "MKDIRS"), null, [200]);
  }

  async create(path: string, initial: Buffer): Promise<OutFile> {
    const dir = path.replace(/\/[^/]*$/, "");
    await this.mkdirs(dir);
    await this.call("PUT", this.url(path, "CREATE", { overwrite: "false" }), initial, [201, 200]);
    return {
      write: async (data) => {
        if (data.length > 0) await this.call("POST", this.url(path, "APPEND"), data, [200]);
      },
      close: async () => undefined,
    };
  }

  async rename(from: string, to: string): Promise<void> {
    const dest = to.replace(/^(?:hdfs|webhdfs):\/\/[^/]+/i, "");
    const r = await this.call("PUT", this.url(from, "RENAME", { destination: dest }), null, [200]);
    try {
      if ((JSON.parse(r.body) as { boolean?: boolean }).boolean === false)
        throw new HdfsIoError(`WebHDFS RENAME ${from} -> ${dest} returned false`);
    } catch (err) {
      if (err instanceof HdfsIoError) throw err;
    }
  }
}
