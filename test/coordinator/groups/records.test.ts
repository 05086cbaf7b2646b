import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  javaStringHashCode,
  partitionForGroup,
  parseSubscribedTopics,
  GroupCoordinatorError,
} from "../../../src/coordinator/groups/index.js";
import { subscription } from "./helpers.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("__consumer_offsets records", () => {
  it("OffsetCommitKey v1: version, group, topic, partition", () => {
    const b = encodeOffsetCommitKey({ group: "g", topic: "t", partition: 1 });
    assert.deepEqual(b, hex("0001  0001 67  0001 74  00000001"));
    assert.deepEqual(decodeKey(b), { type: "offset", version: 1, key: { group: "g", topic: "t", partition: 1 } });
    // v0 keys (older brokers) have the same layout
    assert.deepEqual(decodeKey(hex("0000 0001 67 0001 74 00000007")), {
      type: "offset",
      version: 0,
      key: { group: "g", topic: "t", partition: 7 },
    });
  });

  it("GroupMetadataKey v2: version, group", () => {
    const b = encodeGroupMetadataKey({ group: "grp" });
    assert.deepEqual(b, hex("0002 0003 677270"));
    assert.deepEqual(decodeKey(b), { type: "group", version: 2, key: { group: "grp" } });
  });

  it("keys of newer coordinators (version 3+) are recognised as not ours", () => {
    assert.deepEqual(decodeKey(hex("0003 0001 67")), { type: "other", version: 3 });
  });

  it("OffsetCommitValue v3: offset, leaderEpoch, metadata, commitTimestamp", () => {
    const v = { offset: 42n, leaderEpoch: 5, metadata: "m", commitTimestamp: 1000n, expireTimestamp: -1n };
    const b = encodeOffsetCommitValue(v);
    assert.deepEqual(b, hex("0003  000000000000002a  00000005  0001 6d  00000000000003e8"));
    assert.deepEqual(decodeOffsetCommitValue(b), { version: 3, value: v });
  });

  it("OffsetCommitValue v1 carries the expire timestamp (commits with a retention time)", () => {
    const v = { offset: 7n, leaderEpoch: -1, metadata: "", commitTimestamp: 1000n, expireTimestamp: 2000n };
    const b = encodeOffsetCommitValue(v, 1);
    assert.deepEqual(b, hex("0001  0000000000000007  0000  00000000000003e8  00000000000007d0"));
    assert.deepEqual(decodeOffsetCommitValue(b), { version: 1, value: v });
  });

  it("OffsetCommitValue v0 and v2 (no epoch, no expiry) decode with defaults", () => {
    const body = "0000000000000009 0002 6162 0000000000000064";
    for (const version of ["0000", "0002"]) {
      const { value } = decodeOffsetCommitValue(hex(version + body));
      assert.deepEqual(value, {
        offset: 9n,
        leaderEpoch: -1,
        metadata: "ab",
        commitTimestamp: 100n,
        expireTimestamp: -1n,
      });
    }
  });

  it("OffsetCommitValue v4 (flexible: compact string, tagged fields) decodes", () => {
    const b = hex("0004  000000000000000b  00000002  02 78  0000000000000005  00");
    assert.deepEqual(decodeOffsetCommitValue(b).value, {
      offset: 11n,
      leaderEpoch: 2,
      metadata: "x",
      commitTimestamp: 5n,
      expireTimestamp: -1n,
    });
  });

  it("GroupMetadataValue v3 of a stable group", () => {
    const value = {
      protocolType: "consumer",
      generation: 3,
      protocol: "range",
      leader: "m1",
      currentStateTimestamp: 256n,
      members: [
        {
          memberId: "m1",
          groupInstanceId: "i1",
          clientId: "c",
          clientHost: "/h",
          rebalanceTimeout: 300,
          sessionTimeout: 100,
          subscription: hex("0102"),
          assignment: hex("03"),
        },
      ],
    };
    const b = encodeGroupMetadataValue(value);
    const expected = hex(
      [
        "0003", // version
        "0008 636f6e73756d6572", // protocolType "consumer"
        "00000003", // generation
        "0005 72616e6765", // protocol "range"
        "0002 6d31", // leader "m1"
        "0000000000000100", // currentStateTimestamp
        "00000001", // one member
        "0002 6d31", // memberId
        "0002 6931", // groupInstanceId "i1"
        "0001 63", // clientId
        "0002 2f68", // clientHost
        "0000012c", // rebalanceTimeout 300
        "00000064", // sessionTimeout 100
        "00000002 0102", // subscription
        "00000001 03", // assignment
      ].join(""),
    );
    assert.deepEqual(b, expected);
    assert.deepEqual(decodeGroupMetadataValue(b), { version: 3, value });
  });

  it("GroupMetadataValue v3 of an empty group: null protocol and leader, no members", () => {
    const value = {
      protocolType: "consumer",
      generation: 4,
      protocol: null,
      leader: null,
      currentStateTimestamp: 1n,
      members: [],
    };
    const b = encodeGroupMetadataValue(value);
    assert.deepEqual(b, hex("0003 0008 636f6e73756d6572 00000004 ffff ffff 0000000000000001 00000000"));
    assert.deepEqual(decodeGroupMetadataValue(b).value, value);
  });

  it("GroupMetadataValue v0: no state timestamp, members without instance id or rebalance timeout", () => {
    const b = hex(
      "0000 0008 636f6e73756d6572 00000001 0005 72616e6765 0002 6d31 00000001" +
        "0002 6d31 0001 63 0002 2f68 00002710 00000000 00000000",
    );
    const { version, value } = decodeGroupMetadataValue(b);
    assert.equal(version, 0);
    assert.equal(value.currentStateTimestamp, -1n);
    assert.deepEqual(value.members[0], {
      memberId: "m1",
      groupInstanceId: null,
      clientId: "c",
      clientHost: "/h",
      rebalanceTimeout: 10000, // Kafka's loader: the session timeout
      sessionTimeout: 10000,
      subscription: Buffer.alloc(0),
      assignment: Buffer.alloc(0),
    });
  });

  it("truncated records fail with MR_GROUP_RECORD_INVALID", () => {
    const full = encodeOffsetCommitValue({
      offset: 1n,
      leaderEpoch: -1,
      metadata: "",
      commitTimestamp: 1n,
      expireTimestamp: -1n,
    });
    assert.throws(
      () => decodeOffsetCommitValue(full.subarray(0, full.length - 1)),
      (e: unknown) => e instanceof GroupCoordinatorError && e.code === "MR_GROUP_RECORD_INVALID",
    );
    assert.throws(() => decodeKey(hex("0001 0005 61")), GroupCoordinatorError);
    assert.throws(() => decodeGroupMetadataValue(hex("0009")), GroupCoordinatorError);
  });
});

describe("group -> __consumer_offsets partition", () => {
  it("is Java's String.hashCode", () => {
    assert.equal(javaStringHashCode(""), 0);
    assert.equal(javaStringHashCode("a"), 97);
    assert.equal(javaStringHashCode("abc"), 96354);
    assert.equal(javaStringHashCode("Aa"), javaStringHashCode("BB"));
    assert.equal(javaStringHashCode("spark-kafka-source"), -877681262);
    assert.equal(javaStringHashCode("héllo"), 103094734);
    assert.equal(javaStringHashCode("😀"), 1772899); // UTF-16 surrogates, as Java
  });

  it("is Utils.abs(hashCode) % partitions, with abs(MIN_VALUE) = 0", () => {
    assert.equal(partitionForGroup("a", 50), 47);
    assert.equal(partitionForGroup("my-consumer-group", 50), 13);
    assert.equal(partitionForGroup("spark-kafka-source", 50), 12);
    assert.equal(javaStringHashCode("polygenelubricants"), -2147483648);
    assert.equal(partitionForGroup("polygenelubricants", 50), 0);
    assert.equal(partitionForGroup("g1", 7), 3242 % 7);
  });
});

describe("consumer protocol subscription", () => {
  it("reads the topics of any version (the v0 prefix)", () => {
    assert.deepEqual(parseSubscribedTopics(subscription(["a", "b"], 0)), ["a", "b"]);
    assert.deepEqual(parseSubscribedTopics(subscription(["a"], 1)), ["a"]);
    assert.deepEqual(parseSubscribedTopics(hex("0003 00000001 0001 78 ffffffff 00000000 ffffffff ffff")), ["x"]);
  });

  it("returns null for bytes that are not a subscription", () => {
    assert.equal(parseSubscribedTopics(Buffer.alloc(0)), null);
    assert.equal(parseSubscribedTopics(hex("ffff")), null);
    assert.equal(parseSubscribedTopics(hex("0000 00000002 0001 61")), null);
  });
});
