/** CRC32 (IEEE 802.3, the zlib polynomial), the checksum of Kafka's legacy message formats (magic 0 and 1). */
import { makeCrc } from "./crc-table.js";

const impl = makeCrc(0xedb88320, "crc32", 0xcbf43926, "MILLRACE_CRC32");

/** Which implementation is in use: "native" or "js". */
export const crc32Implementation = impl.implementation;

/** Pure JS CRC32 over buf[start, end). `initial` continues a running CRC. */
export const crc32Js = impl.js;

/** CRC32 (IEEE) over buf[start, end). */
export const crc32: (buf: Buffer, start?: number, end?: number) => number = impl.compute;
