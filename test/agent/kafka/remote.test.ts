import { RemoteTopics } from "../../../src/topics/remote.js";
import { startBroker, removeDir } from "../../helpers/broker.js";
import { kafkaSuite } from "./suite.js";

// The same tests through the remote adapter, against a real millrace broker over TCP.
kafkaSuite("remote", async () => {
  const tb = await startBroker({ "auto.create.topics.enable": "false" });
  return {
    port: new RemoteTopics({ bootstrapServers: tb.bootstrap }),
    bootstrap: tb.bootstrap,
    async cleanup() {
      await tb.stop();
      removeDir(tb.dir);
    },
  };
});
