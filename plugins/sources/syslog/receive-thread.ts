/**
 * The receive thread of a `threaded` tcp/tls syslog source (a worker): its StreamServer,
 * talking to the receiver on the main thread through the worker's port (thread-protocol.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import { StreamServer } from "./stream-server.js";
import type { ThreadConfig, ToThread } from "./thread-protocol.js";

const port = parentPort!;
const server = new StreamServer(workerData as ThreadConfig, (m, transfer) => port.postMessage(m, transfer));
port.on("message", (m: ToThread) => server.handle(m));
