/** Entry of a streaming worker thread (see worker.ts). */
import { workerMain } from "./worker.js";

await workerMain();
