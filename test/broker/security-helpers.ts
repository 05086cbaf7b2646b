/**
 * A broker with PLAINTEXT, SSL (mTLS), SASL_PLAINTEXT (PLAIN) and SASL_SSL (SCRAM) listeners, and a raw
 * Kafka-frame socket.
 */
import { readFileSync } from "node:fs";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { type ApiKey, decodeResponse, encodeRequest } from "../../src/protocol/apis.js";
import type { Message } from "../../src/protocol/codec.js";
import { scramCredential } from "../../src/security/sasl/scram.js";
import { ScramCredentialStore } from "../../src/security/stores.js";
import { startBroker, tempDir, type TestBroker } from "../helpers/broker.js";
import type { Pki } from "../helpers/certs.js";

export const PLAIN_JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ' +
  'user_admin="admin-secret" user_alice="alice-secret";';

export async function startSecureBroker(pki: Pki, extra: Record<string, string> = {}): Promise<TestBroker> {
  const dir = tempDir();
  const store = ScramCredentialStore.open(dir);
  store.upsertSync("SCRAM-SHA-512", "scram-user", scramCredential("SCRAM-SHA-512", "scram-secret", 4096));
  store.upsertSync("SCRAM-SHA-256", "scram-user", scramCredential("SCRAM-SHA-256", "scram-secret", 4096));
  return startBroker(
    {
      listeners: "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0",
      "group.initial.rebalance.delay.ms": "0",
      "offsets.topic.num.partitions": "1",
      "connection.failed.authentication.delay.ms": "20",
      "ssl.keystore.type": "PEM",
      "ssl.keystore.location": pki.serverKeystore,
      "ssl.truststore.type": "PEM",
      "ssl.truststore.location": pki.ca,
      "listener.name.ssl.ssl.client.auth": "required",
      "listener.name.ssl.ssl.principal.mapping.rules": "RULE:^CN=([^,]*),.*$/$1/L,DEFAULT",
      "listener.name.sasl_plaintext.sasl.enabled.mechanisms": "PLAIN",
      "listener.name.sasl_plaintext.plain.sasl.jaas.config": PLAIN_JAAS,
      "listener.name.sasl_ssl.sasl.enabled.mechanisms": "SCRAM-SHA-512,SCRAM-SHA-256",
      ...extra,
    },
    dir,
  );
}

export function addressOf(tb: TestBroker, listener: string): { host: string; port: number; bootstrap: string } {
  const a = tb.broker.advertisedAddress(listener);
  return { ...a, bootstrap: `${a.host}:${a.port}` };
}

/** Kafka frames over a plain or TLS socket; `closed` resolves when the broker closes it. */
export class RawKafkaSocket {
  private acc = Buffer.alloc(0);
  private waiters: ((f: Buffer | null) => void)[] = [];
  private frames: Buffer[] = [];
  private id = 1;
  isClosed = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d) => {
      this.acc = Buffer.concat([this.acc, d]);
      while (this.acc.length >= 4 && this.acc.length >= 4 + this.acc.readInt32BE(0)) {
        const n = this.acc.readInt32BE(0);
        const f = this.acc.subarray(4, 4 + n);
        this.acc = this.acc.subarray(4 + n);
        const w = this.waiters.shift();
        if (w) w(f);
        else this.frames.push(f);
      }
    });
    this.closed = new Promise((r) =>
      socket.on("close", () => {
        this.isClosed = true;
        for (const w of this.waiters.splice(0)) w(null);
        r();
      }),
    );
    socket.on("error", () => undefined);
  }

  static async open(port: number, tls?: { ca: string; key?: string; cert?: string }): Promise<RawKafkaSocket> {
    return new Promise((resolve, reject) => {
      const s: Socket = tls
        ? tlsConnect(
            {
              host: "127.0.0.1",
              port,
              ca: [tls.ca],
              key: tls.key && readFileSync(tls.key),
              cert: tls.cert && readFileSync(tls.cert),
            },
            () => resolve(new RawKafkaSocket(s)),
          )
        : netConnect({ host: "127.0.0.1", port }, () => resolve(new RawKafkaSocket(s)));
      s.once("error", reject);
    });
  }

  /** The next frame (without size prefix), or null once closed. */
  nextFrame(): Promise<Buffer | null> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    if (this.isClosed) return Promise.resolve(null);
    return new Promise((r) => this.waiters.push(r));
  }

  /** Sends a request; the decoded response body, or null when the broker closed the connection instead. */
  async request(key: ApiKey, version: number, body: Message): Promise<Message | null> {
    const id = this.id++;
    for (const c of encodeRequest(key, version, id, "raw-test", body)) this.socket.write(c);
    const f = await this.nextFrame();
    if (!f) return null;
    return decodeResponse(key, version, f).body;
  }

  writeRaw(b: Buffer): void {
    this.socket.write(b);
  }

  close(): void {
    this.socket.destroy();
  }
}
