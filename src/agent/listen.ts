/**
 * Starting and stopping the agent's TCP listeners (the Avro RPC server, the
 * syslog TCP sources).
 */
import type { Server, Socket } from "node:net";

/** Listens on host:port and resolves with the bound port (port 0 picks one); a listen error rejects. */
export async function listenTcp(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as { port: number }).port;
}

/** Destroys the open connections, then closes the server (if there is one). */
export async function closeTcp(server: Server | undefined, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
}
