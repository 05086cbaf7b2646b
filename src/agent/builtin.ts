/** Registers the built-in components (each module exports its factory). */
import { channels } from "./registry.js";
import { createFileChannel } from "./channels/file/file-channel.js";

channels.push({ alias: "file", classNames: ["org.apache.flume.channel.file.FileChannel"], factory: createFileChannel });
