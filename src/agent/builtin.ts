/**
 * The built-in components, registered by alias and Flume class name.
 */
import { channels, sinks, sources } from "./registry.js";
import { createKafkaChannel } from "./channels/kafka.js";
import { createKafkaSink } from "./sinks/kafka.js";
import { createKafkaSource } from "./sources/kafka.js";
import { createAvroSource } from "./sources/avro.js";
import { createAvroSink } from "./sinks/avro.js";
import { createSyslogTcpSource } from "./sources/syslog-tcp.js";
import { createSyslogUdpSource } from "./sources/syslog-udp.js";
import { createMultiportSyslogTcpSource } from "./sources/syslog-multiport.js";

sources.push({ alias: "syslogtcp", classNames: ["org.apache.flume.source.SyslogTcpSource"], factory: createSyslogTcpSource });
sources.push({ alias: "syslogudp", classNames: ["org.apache.flume.source.SyslogUDPSource"], factory: createSyslogUdpSource });
sources.push({ alias: "multiport_syslogtcp", classNames: ["org.apache.flume.source.MultiportSyslogTCPSource"], factory: createMultiportSyslogTcpSource });
sources.push({ alias: "kafka", classNames: ["org.apache.flume.source.kafka.KafkaSource"], factory: createKafkaSource });
channels.push({ alias: "kafka", classNames: ["org.apache.flume.channel.kafka.KafkaChannel"], factory: createKafkaChannel });
sinks.push({ alias: "kafka", classNames: ["org.apache.flume.sink.kafka.KafkaSink"], factory: createKafkaSink });
sources.push({ alias: "avro", classNames: ["org.apache.flume.source.AvroSource"], factory: createAvroSource });
sinks.push({ alias: "avro", classNames: ["org.apache.flume.sink.AvroSink"], factory: createAvroSink });
