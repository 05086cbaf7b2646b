/**
 * The built-in components, registered by alias and Flume class name.
 */
import { sources } from "./registry.js";
import { createSyslogTcpSource } from "./sources/syslog-tcp.js";
import { createSyslogUdpSource } from "./sources/syslog-udp.js";
import { createMultiportSyslogTcpSource } from "./sources/syslog-multiport.js";

sources.push({ alias: "syslogtcp", classNames: ["org.apache.flume.source.SyslogTcpSource"], factory: createSyslogTcpSource });
sources.push({ alias: "syslogudp", classNames: ["org.apache.flume.source.SyslogUDPSource"], factory: createSyslogUdpSource });
sources.push({ alias: "multiport_syslogtcp", classNames: ["org.apache.flume.source.MultiportSyslogTCPSource"], factory: createMultiportSyslogTcpSource });
