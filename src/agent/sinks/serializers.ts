/**
 * Flume's event serializers for file-writing sinks:
 *   TEXT       (BodyTextEventSerializer): the body, then a newline (appendNewline = true)
 *   avro_event (FlumeEventAvroEventSerializer): an Avro object container file of
 *              records `Event { map<string> headers; bytes body; }`; each flush ends a block
 */
import { randomBytes } from "node:crypto";
import avro from "avsc";
import type { Context, Event } from "../api.js";

export interface EventSerializer {
  /** bytes that start a new file (Avro container header), or empty */
  header(): Buffer;
  /** the bytes for a batch of events (one Avro block) */
  encode(events: Event[]): Buffer;
}

export const FLUME_EVENT_SCHEMA = {
  type: "record",
  name: "Event",
  fields: [
    { name: "headers", type: { type: "map", values: "string" } },
    { name: "body", type: "bytes" },
  ],
};

const eventType = avro.Type.forSchema(FLUME_EVENT_SCHEMA as avro.Schema);
const longType = avro.Type.forSchema("long");
const metaType = avro.Type.forSchema({ type: "map", values: "bytes" });

export class TextSerializer implements EventSerializer {
  constructor(private readonly appendNewline = true) {}
  header(): Buffer {
    return Buffer.alloc(0);
  }
  encode(events: Event[]): Buffer {
    if (!this.appendNewline) return Buffer.concat(events.map((e) => e.body));
    const parts: Buffer[] = [];
    const nl = Buffer.from("\n");
    for (const e of events) parts.push(e.body, nl);
    return Buffer.concat(parts);
  }
}

export class AvroEventSerializer implements EventSerializer {
  private sync = randomBytes(16);
  header(): Buffer {
    this.sync = randomBytes(16);
    const meta = metaType.toBuffer({
      "avro.schema": Buffer.from(JSON.stringify(FLUME_EVENT_SCHEMA)),
      "avro.codec": Buffer.from("null"),
    });
    return Buffer.concat([Buffer.from("Obj\x01", "latin1"), meta, this.sync]);
  }
  encode(events: Event[]): Buffer {
    if (events.length === 0) return Buffer.alloc(0);
    const data = Buffer.concat(events.map((e) => eventType.toBuffer({ headers: e.headers, body: e.body })));
    return Buffer.concat([longType.toBuffer(events.length), longType.toBuffer(data.length), data, this.sync]);
  }
}

/** Reads every record of an Avro container written by AvroEventSerializer (for tests and tools). */
export function readAvroEvents(buf: Buffer): Promise<Event[]> {
  return new Promise((resolve, reject) => {
    const out: Event[] = [];
    const decoder = new avro.streams.BlockDecoder();
    decoder.on("data", (r: { headers: Record<string, string>; body: Buffer }) =>
      out.push({ headers: { ...r.headers }, body: r.body }),
    );
    decoder.on("end", () => resolve(out));
    decoder.on("error", reject);
    decoder.end(buf);
  });
}

/** `serializer` key (TEXT default, avro_event, or Flume's builder class names). */
export function createSerializer(ctx: Context, key: string): EventSerializer {
  const type = ctx.getString(key, "TEXT");
  const sub = ctx.sub(key);
  switch (type.toLowerCase()) {
    case "text":
    case "org.apache.flume.serialization.bodytexteventserializer$builder":
      return new TextSerializer(sub.getBoolean("appendNewline", true));
    case "avro_event":
    case "org.apache.flume.serialization.flumeeventavroeventserializer$builder":
      return new AvroEventSerializer();
    default:
      throw ctx.error(key, `unknown serializer "${type}" (TEXT or avro_event)`);
  }
}
