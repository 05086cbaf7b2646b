/**
 * The article's three agent files, byte for byte as the article prints them
 * (Flume 1.7.0, TwitterSource, MemChannel with transactionCapacity 100, and the
 * Kafka channel with its old names brokerList/topic/zookeeperConnect).
 * Placeholders (<host>, <consumerKey>, ...) are the article's; tests replace
 * them, never these strings.
 */
const KEYWORDS =
  "hadoop, big data, analytics, bigdata, cloudera, data science, data scientiest, business " +
  "intelligence, mapreduce, data warehouse, data warehousing, mahout, hbase, nosql, newsql, " +
  "businessintelligence, cloudcomputing";

const SOURCE = `TwitterAgent.sources.Twitter.type = org.apache.flume.source.twitter.TwitterSource
TwitterAgent.sources.Twitter.consumerKey = <consumerKey>
TwitterAgent.sources.Twitter.consumerSecret = <consumerSecret>
TwitterAgent.sources.Twitter.accessToken = <accessToken>
TwitterAgent.sources.Twitter.accessTokenSecret = <accessTokenSecret>
TwitterAgent.sources.Twitter.keywords = ${KEYWORDS}
`;

/** the article's first file: Twitter -> memory channel (transactionCapacity 100) -> logger */
export const ARTICLE_LOGGER = `TwitterAgent.sources = Twitter
TwitterAgent.channels = MemChannel
TwitterAgent.sinks = LoggerSink

${SOURCE}TwitterAgent.sources.Twitter.channels = MemChannel

TwitterAgent.sinks.LoggerSink.type = logger
TwitterAgent.sinks.LoggerSink.channel = MemChannel

TwitterAgent.channels.MemChannel.type = memory
TwitterAgent.channels.MemChannel.capacity = 10000
TwitterAgent.channels.MemChannel.transactionCapacity = 100
`;

/** the article's second file: the same source -> memory channel -> HDFS, one directory per hour, rolled by count */
export const ARTICLE_HDFS = `TwitterAgent.sources = Twitter
TwitterAgent.channels = MemChannel
TwitterAgent.sinks = HDFS

${SOURCE}TwitterAgent.sources.Twitter.channels = MemChannel

TwitterAgent.sinks.HDFS.channel = MemChannel
TwitterAgent.sinks.HDFS.type = hdfs
TwitterAgent.sinks.HDFS.hdfs.path = hdfs://localhost:9000/user/flume/tweets/%Y/%m/%d/%H/
TwitterAgent.sinks.HDFS.hdfs.fileType = DataStream
TwitterAgent.sinks.HDFS.hdfs.writeFormat = Text
TwitterAgent.sinks.HDFS.hdfs.batchSize = 1000
TwitterAgent.sinks.HDFS.hdfs.rollSize = 0
TwitterAgent.sinks.HDFS.hdfs.rollCount = 10000

TwitterAgent.channels.MemChannel.type = memory
TwitterAgent.channels.MemChannel.capacity = 10000
TwitterAgent.channels.MemChannel.transactionCapacity = 100
`;

/** the article's third file: the same source -> Kafka channel (Flume 1.7's old names), no sink */
export const ARTICLE_KAFKA = `TwitterAgent.sources = Twitter
TwitterAgent.channels = Kafka

${SOURCE}TwitterAgent.sources.Twitter.channels = Kafka

TwitterAgent.channels.Kafka.type = org.apache.flume.channel.kafka.KafkaChannel
TwitterAgent.channels.Kafka.brokerList = <host>:9092
TwitterAgent.channels.Kafka.topic = twitter
TwitterAgent.channels.Kafka.zookeeperConnect = <host>:2181
TwitterAgent.channels.Kafka.parseAsFlumeEvent = true
`;
