import { LogManager } from "../../src/log/index.js";
import { EmbeddedTopics } from "../../src/topics/embedded.js";
import { tempDir, removeDir } from "../helpers/broker.js";
import { topicsPortContract } from "./contract.js";

topicsPortContract("embedded", async () => {
  const dir = tempDir();
  const log = await LogManager.open({ dir });
  return {
    port: new EmbeddedTopics({ log }),
    async cleanup() {
      await log.close();
      removeDir(dir);
    },
  };
});
