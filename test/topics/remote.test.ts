import { RemoteTopics } from "../../src/topics/remote.js";
import { startBroker, removeDir } from "../helpers/broker.js";
import { topicsPortContract } from "./contract.js";

// The remote adapter against the millrace broker over TCP (the same contract as the embedded one).
topicsPortContract("remote", async () => {
  const tb = await startBroker({ "auto.create.topics.enable": "false", "group.initial.rebalance.delay.ms": "0" });
  return {
    port: new RemoteTopics({ bootstrapServers: tb.bootstrap }),
    async cleanup() {
      await tb.stop();
      removeDir(tb.dir);
    },
  };
});
