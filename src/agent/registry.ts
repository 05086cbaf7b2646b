/**
 * Component types by Flume's short alias and by Flume's class name.
 * `org.apache.flume.channel.kafka.KafkaChannel` means our kafka channel; a class
 * name we do not know is an unknown type (a config error naming file:line:key).
 *
 * Each component module exports its factory; it is listed here once.
 */
import type {
  ChannelFactory,
  InterceptorFactory,
  SelectorFactory,
  SinkFactory,
  SinkProcessorFactory,
  SourceFactory,
} from "./api.js";

export interface Registration<F> {
  alias: string;
  /** Flume's fully qualified class names that mean this component */
  classNames: string[];
  factory: F;
}

export const sources: Registration<SourceFactory>[] = [];
export const channels: Registration<ChannelFactory>[] = [];
export const sinks: Registration<SinkFactory>[] = [];
/** interceptor factories (Flume names the Builder class: `...TimestampInterceptor$Builder`) */
export const interceptors: Registration<InterceptorFactory>[] = [];
/** channel selectors (`selector.type`: replicating, multiplexing) */
export const selectors: Registration<SelectorFactory>[] = [];
/** sink processors (`processor.type`: default, failover, load_balance) */
export const sinkProcessors: Registration<SinkProcessorFactory>[] = [];

function find<F>(list: Registration<F>[], type: string): Registration<F> | undefined {
  const t = type.trim();
  const lower = t.toLowerCase();
  return list.find((r) => r.alias.toLowerCase() === lower || r.classNames.includes(t));
}

export const findSource = (type: string) => find(sources, type);
export const findChannel = (type: string) => find(channels, type);
export const findSink = (type: string) => find(sinks, type);
export const findInterceptor = (type: string) => find(interceptors, type);
export const findSelector = (type: string) => find(selectors, type);
export const findSinkProcessor = (type: string) => find(sinkProcessors, type);
