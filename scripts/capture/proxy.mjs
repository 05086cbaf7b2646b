#!/usr/bin/env node
// A Kafka-protocol recording proxy (no dependencies).
//
//   node scripts/capture/proxy.mjs --listen 19093 --target 127.0.0.1:19092 --out /tmp/cap/kcat
//
// Listens on 127.0.0.1:<listen>, forwards every connection to <target> unchanged, and splits
// both directions into Kafka frames (int32 big-endian size prefix). Each request frame and the
// response frame with the same correlation id are written, without the 4-byte size prefix, to
//   <out>/c<conn>-<seq>-k<apiKey>-v<apiVersion>.request.bin
//   <out>/c<conn>-<seq>-k<apiKey>-v<apiVersion>.response.bin
// and one JSON line per request is appended to <out>/index.jsonl:
//   { conn, seq, apiKey, apiVersion, correlationId, clientId, request, response|null,
//     requestSize, responseSize }
// Responses are matched to requests per connection, in order (Kafka answers in order); a
// Produce with acks=0 gets no response, so it is recorded with response null.
//
// The proxy does not rewrite anything. For clients to stay on the proxy after bootstrapping,
// the real broker must advertise the proxy's address (advertised.listeners=PLAINTEXT://127.0.0.1:<listen>).
//
// Stops on SIGINT/SIGTERM after flushing index.jsonl. --quiet silences the per-frame log on stderr.
import net from "node:net";
import fs from "node:fs";
import path from "node:path";

function parseArgs(argv) {
  const opts = { listen: 19093, target: "127.0.0.1:19092", out: "./capture", quiet: false, host: "127.0.0.1" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`);
      return argv[++i];
    };
    if (a === "--listen") opts.listen = Number(next());
    else if (a === "--host") opts.host = next();
    else if (a === "--target") opts.target = next();
    else if (a === "--out") opts.out = next();
    else if (a === "--quiet") opts.quiet = true;
    else if (a === "-h" || a === "--help") {
      process.stdout.write("usage: proxy.mjs --listen <port> --target <host:port> --out <dir> [--quiet]\n");
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  const idx = opts.target.lastIndexOf(":");
  opts.targetHost = opts.target.slice(0, idx);
  opts.targetPort = Number(opts.target.slice(idx + 1));
  return opts;
}

const PRODUCE = 0;
const PRODUCE_FIRST_FLEXIBLE = 9;

/** Reads an unsigned varint; returns [value, nextOffset]. */
function readUVarint(buf, off) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (off >= buf.length) throw new RangeError("varint past end");
    const b = buf[off++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, off];
    shift += 7;
    if (shift > 35) throw new RangeError("varint too long");
  }
}

/**
 * Parses the request header (v1/v2: api_key, api_version, correlation_id, client_id, [tagged fields]).
 * For Produce it also reads acks, to know whether a response will come.
 */
function parseRequest(frame) {
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  let clientId = null;
  let expectResponse = true;
  try {
    let off = 8;
    const len = frame.readInt16BE(off);
    off += 2;
    if (len >= 0) {
      clientId = frame.toString("utf8", off, off + len);
      off += len;
    }
    if (apiKey === PRODUCE) {
      const flexible = apiVersion >= PRODUCE_FIRST_FLEXIBLE;
      if (flexible) {
        // request header v2: tagged fields
        let n;
        [n, off] = readUVarint(frame, off);
        for (let i = 0; i < n; i++) {
          let size;
          [, off] = readUVarint(frame, off); // tag
          [size, off] = readUVarint(frame, off);
          off += size;
        }
      }
      if (apiVersion >= 3) {
        // transactional_id: nullable string (compact when flexible)
        if (flexible) {
          let l;
          [l, off] = readUVarint(frame, off);
          if (l > 0) off += l - 1;
        } else {
          const l = frame.readInt16BE(off);
          off += 2;
          if (l > 0) off += l;
        }
      }
      const acks = frame.readInt16BE(off);
      if (acks === 0) expectResponse = false;
    }
  } catch {
    // a header we cannot parse still gets forwarded and recorded
  }
  return { apiKey, apiVersion, correlationId, clientId, expectResponse };
}

/** Splits a byte stream into size-prefixed frames. */
class Framer {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.chunks = [];
    this.length = 0;
  }
  push(chunk) {
    this.chunks.push(chunk);
    this.length += chunk.length;
    for (;;) {
      if (this.length < 4) return;
      let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
      const size = buf.readInt32BE(0);
      if (size < 0) throw new Error(`negative frame size ${size}`);
      if (this.length < 4 + size) {
        this.chunks = [buf];
        return;
      }
      const frame = Buffer.from(buf.subarray(4, 4 + size)); // copy: decoupled from the stream buffer
      buf = buf.subarray(4 + size);
      this.chunks = buf.length ? [buf] : [];
      this.length = buf.length;
      this.onFrame(frame);
    }
  }
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(opts.out, { recursive: true });
  const indexFd = fs.openSync(path.join(opts.out, "index.jsonl"), "a");
  const log = (msg) => {
    if (!opts.quiet) process.stderr.write(`proxy: ${msg}\n`);
  };
  let connCount = 0;
  const sockets = new Set();

  const server = net.createServer((client) => {
    const conn = ++connCount;
    let seq = 0;
    const pending = [];
    const upstream = net.connect({ host: opts.targetHost, port: opts.targetPort });
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);

    const record = (entry) => fs.writeSync(indexFd, `${JSON.stringify(entry)}\n`);
    const base = (p) => `c${conn}-${String(p.seq).padStart(4, "0")}-k${p.apiKey}-v${p.apiVersion}`;

    const reqFramer = new Framer((frame) => {
      if (frame.length < 8) {
        log(`c${conn}: short request frame (${frame.length} bytes)`);
        return;
      }
      const info = parseRequest(frame);
      const p = { seq: ++seq, ...info, requestSize: frame.length };
      p.request = `${base(p)}.request.bin`;
      fs.writeFileSync(path.join(opts.out, p.request), frame);
      log(
        `c${conn} -> key=${p.apiKey} v${p.apiVersion} corr=${p.correlationId} ` +
          `${frame.length}B${p.expectResponse ? "" : " (no response expected)"}`,
      );
      if (p.expectResponse) pending.push(p);
      else record(entryOf(p, null, null));
    });

    const entryOf = (p, response, responseSize) => ({
      conn,
      seq: p.seq,
      apiKey: p.apiKey,
      apiVersion: p.apiVersion,
      correlationId: p.correlationId,
      clientId: p.clientId,
      request: p.request,
      response,
      requestSize: p.requestSize,
      responseSize,
    });

    const respFramer = new Framer((frame) => {
      const corr = frame.length >= 4 ? frame.readInt32BE(0) : NaN;
      const i = pending.findIndex((p) => p.correlationId === corr);
      if (i < 0) {
        log(`c${conn}: response with unknown correlation id ${corr} (${frame.length} bytes): kept as orphan`);
        fs.writeFileSync(path.join(opts.out, `c${conn}-orphan-corr${corr}.response.bin`), frame);
        return;
      }
      if (i > 0) log(`c${conn}: response corr=${corr} out of order (${i} earlier requests unanswered)`);
      const [p] = pending.splice(i, 1);
      const response = `${base(p)}.response.bin`;
      fs.writeFileSync(path.join(opts.out, response), frame);
      record(entryOf(p, response, frame.length));
      log(`c${conn} <- key=${p.apiKey} v${p.apiVersion} corr=${corr} ${frame.length}B`);
    });

    const fail = (where, err) => {
      log(`c${conn}: ${where}: ${err.message}`);
      client.destroy();
      upstream.destroy();
    };

    client.on("data", (chunk) => {
      upstream.write(chunk);
      try {
        reqFramer.push(chunk);
      } catch (err) {
        fail("request framing", err);
      }
    });
    upstream.on("data", (chunk) => {
      client.write(chunk);
      try {
        respFramer.push(chunk);
      } catch (err) {
        fail("response framing", err);
      }
    });
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    client.on("error", (err) => fail("client", err));
    upstream.on("error", (err) => fail("upstream", err));
    let closed = 0;
    const onClose = () => {
      if (++closed < 2) return;
      sockets.delete(client);
      sockets.delete(upstream);
      for (const p of pending.splice(0)) record({ ...entryOf(p, null, null), unanswered: true });
      log(`c${conn} closed`);
    };
    client.on("close", onClose);
    upstream.on("close", onClose);
    log(`c${conn} open from ${client.remoteAddress}:${client.remotePort}`);
  });

  server.on("error", (err) => {
    process.stderr.write(`proxy: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(opts.listen, opts.host, () => {
    process.stderr.write(`proxy: listening on ${opts.host}:${opts.listen} -> ${opts.target}, writing ${opts.out}\n`);
  });

  const stop = () => {
    server.close();
    for (const s of sockets) s.destroy();
    setTimeout(() => {
      fs.closeSync(indexFd);
      process.exit(0);
    }, 100);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main();
