/** Registers the built-in components (each module exports its factory). */
import { channels, sinks, sources } from "./registry.js";
import { createFileRollSink } from "./sinks/file-roll.js";
import { createHdfsSink } from "./sinks/hdfs.js";
import { createExecSource } from "./sources/exec.js";
import { createSpoolDirSource } from "./sources/spooldir.js";
import { createTaildirSource } from "./sources/taildir.js";
import { createFileChannel } from "./channels/file/file-channel.js";

channels.push({ alias: "file", classNames: ["org.apache.flume.channel.file.FileChannel"], factory: createFileChannel });
sinks.push({ alias: "file_roll", classNames: ["org.apache.flume.sink.RollingFileSink"], factory: createFileRollSink });
sinks.push({ alias: "hdfs", classNames: ["org.apache.flume.sink.hdfs.HDFSEventSink"], factory: createHdfsSink });
sources.push({ alias: "exec", classNames: ["org.apache.flume.source.ExecSource"], factory: createExecSource });
sources.push({ alias: "spooldir", classNames: ["org.apache.flume.source.SpoolDirectorySource"], factory: createSpoolDirSource });
sources.push({ alias: "TAILDIR", classNames: ["org.apache.flume.source.taildir.TaildirSource"], factory: createTaildirSource });
