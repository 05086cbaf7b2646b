/**
 * The built-in components by Flume alias and class name, put into the registry by
 * registerBuiltins() (called where an agent is made, and by tests that look types
 * up). One line per component; component modules stay free of registry imports.
 */
import { channels, interceptors, selectors, sinkProcessors, sinks, sources } from "./registry.js";
import { MemoryChannel } from "./channels/memory.js";
import { SeqSource } from "./sources/seq.js";
import { NetcatSource } from "./sources/netcat.js";
import { NetcatUdpSource } from "./sources/netcatudp.js";
import { HttpSource } from "./sources/http.js";
import { LoggerSink } from "./sinks/logger.js";
import { NullSink } from "./sinks/null.js";
import {
  hostInterceptor,
  removeHeaderInterceptor,
  staticInterceptor,
  timestampInterceptor,
  uuidInterceptor,
} from "./interceptors/headers.js";
import { regexExtractorInterceptor, regexFilterInterceptor, searchReplaceInterceptor } from "./interceptors/regex.js";
import { MultiplexingSelector, ReplicatingSelector } from "./runtime/selectors.js";
import { DefaultSinkProcessor, FailoverSinkProcessor, LoadBalancingSinkProcessor } from "./runtime/sink-processors.js";
import { createTwitterSource } from "./sources/twitter.js";
import { createJetstreamSource } from "./sources/jetstream.js";
import { createMastodonSource } from "./sources/mastodon.js";
import { createWikimediaSource } from "./sources/wikimedia.js";
import { createReplaySource } from "./sources/replay.js";
import { createTweetsSource } from "./sources/tweets.js";
import { createKafkaChannel } from "./channels/kafka.js";
import { createKafkaSink } from "./sinks/kafka.js";
import { createKafkaSource } from "./sources/kafka.js";
import { createAvroSource } from "./sources/avro.js";
import { createAvroSink } from "./sinks/avro.js";
import { createSyslogTcpSource } from "./sources/syslog-tcp.js";
import { createSyslogUdpSource } from "./sources/syslog-udp.js";
import { createMultiportSyslogTcpSource } from "./sources/syslog-multiport.js";
import { createFileRollSink } from "./sinks/file-roll.js";
import { createHdfsSink } from "./sinks/hdfs.js";
import { createExecSource } from "./sources/exec.js";
import { createSpoolDirSource } from "./sources/spooldir.js";
import { createTaildirSource } from "./sources/taildir.js";
import { createFileChannel } from "./channels/file/file-channel.js";

const F = "org.apache.flume.";

let registered = false;

/** Puts the built-in components into the registry; idempotent (a second call does nothing). */
export function registerBuiltins(): void {
  if (registered) return;
  registered = true;
  channels.push({ alias: "memory", classNames: [F + "channel.MemoryChannel"], factory: MemoryChannel.fromContext });

  sources.push({ alias: "seq", classNames: [F + "source.SequenceGeneratorSource"], factory: SeqSource.fromContext });
  sources.push({ alias: "netcat", classNames: [F + "source.NetcatSource"], factory: NetcatSource.fromContext });
  sources.push({
    alias: "netcatudp",
    classNames: [F + "source.NetcatUdpSource"],
    factory: NetcatUdpSource.fromContext,
  });
  sources.push({ alias: "http", classNames: [F + "source.http.HTTPSource"], factory: HttpSource.fromContext });
  sources.push({
    alias: "twitter",
    classNames: ["org.apache.flume.source.twitter.TwitterSource"],
    factory: createTwitterSource,
  });
  sources.push({ alias: "jetstream", classNames: [], factory: createJetstreamSource });
  sources.push({ alias: "mastodon", classNames: [], factory: createMastodonSource });
  sources.push({ alias: "wikimedia", classNames: [], factory: createWikimediaSource });
  sources.push({ alias: "replay", classNames: [], factory: (name, ctx, env) => createReplaySource(name, ctx, env) });
  sources.push({ alias: "tweets", classNames: [], factory: (name, ctx, env) => createTweetsSource(name, ctx, env) });

  sinks.push({ alias: "logger", classNames: [F + "sink.LoggerSink"], factory: LoggerSink.fromContext });
  sinks.push({ alias: "null", classNames: [F + "sink.NullSink"], factory: NullSink.fromContext });

  sources.push({
    alias: "syslogtcp",
    classNames: ["org.apache.flume.source.SyslogTcpSource"],
    factory: createSyslogTcpSource,
  });
  sources.push({
    alias: "syslogudp",
    classNames: ["org.apache.flume.source.SyslogUDPSource"],
    factory: createSyslogUdpSource,
  });
  sources.push({
    alias: "multiport_syslogtcp",
    classNames: ["org.apache.flume.source.MultiportSyslogTCPSource"],
    factory: createMultiportSyslogTcpSource,
  });
  sources.push({
    alias: "kafka",
    classNames: ["org.apache.flume.source.kafka.KafkaSource"],
    factory: createKafkaSource,
  });
  channels.push({
    alias: "kafka",
    classNames: ["org.apache.flume.channel.kafka.KafkaChannel"],
    factory: createKafkaChannel,
  });
  sinks.push({ alias: "kafka", classNames: ["org.apache.flume.sink.kafka.KafkaSink"], factory: createKafkaSink });
  sources.push({ alias: "avro", classNames: ["org.apache.flume.source.AvroSource"], factory: createAvroSource });
  sinks.push({ alias: "avro", classNames: ["org.apache.flume.sink.AvroSink"], factory: createAvroSink });

  channels.push({
    alias: "file",
    classNames: ["org.apache.flume.channel.file.FileChannel"],
    factory: createFileChannel,
  });
  sinks.push({
    alias: "file_roll",
    classNames: ["org.apache.flume.sink.RollingFileSink"],
    factory: createFileRollSink,
  });
  sinks.push({ alias: "hdfs", classNames: ["org.apache.flume.sink.hdfs.HDFSEventSink"], factory: createHdfsSink });
  sources.push({ alias: "exec", classNames: ["org.apache.flume.source.ExecSource"], factory: createExecSource });
  sources.push({
    alias: "spooldir",
    classNames: ["org.apache.flume.source.SpoolDirectorySource"],
    factory: createSpoolDirSource,
  });
  sources.push({
    alias: "TAILDIR",
    classNames: ["org.apache.flume.source.taildir.TaildirSource"],
    factory: createTaildirSource,
  });

  interceptors.push({
    alias: "timestamp",
    classNames: [F + "interceptor.TimestampInterceptor$Builder"],
    factory: (c, e) => timestampInterceptor(c, e),
  });
  interceptors.push({
    alias: "host",
    classNames: [F + "interceptor.HostInterceptor$Builder"],
    factory: hostInterceptor,
  });
  interceptors.push({
    alias: "static",
    classNames: [F + "interceptor.StaticInterceptor$Builder"],
    factory: staticInterceptor,
  });
  interceptors.push({
    alias: "remove_header",
    classNames: [F + "interceptor.RemoveHeaderInterceptor$Builder"],
    factory: removeHeaderInterceptor,
  });
  interceptors.push({
    alias: "search_replace",
    classNames: [F + "interceptor.SearchAndReplaceInterceptor$Builder"],
    factory: searchReplaceInterceptor,
  });
  interceptors.push({
    alias: "regex_filter",
    classNames: [F + "interceptor.RegexFilteringInterceptor$Builder"],
    factory: regexFilterInterceptor,
  });
  interceptors.push({
    alias: "regex_extractor",
    classNames: [F + "interceptor.RegexExtractorInterceptor$Builder"],
    factory: regexExtractorInterceptor,
  });
  interceptors.push({
    alias: "uuid",
    classNames: [F + "sink.solr.morphline.UUIDInterceptor$Builder"],
    factory: uuidInterceptor,
  });

  selectors.push({
    alias: "replicating",
    classNames: [F + "channel.ReplicatingChannelSelector"],
    factory: ReplicatingSelector.fromContext,
  });
  selectors.push({
    alias: "multiplexing",
    classNames: [F + "channel.MultiplexingChannelSelector"],
    factory: MultiplexingSelector.fromContext,
  });

  sinkProcessors.push({
    alias: "default",
    classNames: [F + "sink.DefaultSinkProcessor"],
    factory: DefaultSinkProcessor.fromContext,
  });
  sinkProcessors.push({
    alias: "failover",
    classNames: [F + "sink.FailoverSinkProcessor"],
    factory: FailoverSinkProcessor.fromContext,
  });
  sinkProcessors.push({
    alias: "load_balance",
    classNames: [F + "sink.LoadBalancingSinkProcessor"],
    factory: LoadBalancingSinkProcessor.fromContext,
  });
}
