/** CRC32C (Castagnoli), the checksum of Kafka record batches (magic 2). */
import { makeCrc } from "./crc-table.js";

const impl = makeCrc(0x82f63b78, "crc32c", 0xe3069283, "MILLRACE_CRC32C");

/** Which implementation is in use: "native" or "js". */
export const crc32cImplementation = impl.implementation;

/** Pure JS CRC32C over buf[start, end). `initial` continues a running CRC. */
export const crc32cJs = impl.js;

/** CRC32C over buf[start, end). */
export const crc32c: (buf: Buffer, start?: number, end?: number) => number = impl.compute;
