/**
 * The gateway keeps idle keep-alive connections longer than the Worker's fetch does, so a query sent
 * on a pooled connection is never lost to the server closing it at that moment (Node's default is to
 * close after 5 s idle, which answered "Network connection lost" under load).
 */
import { Agent, request } from "node:http";
import type { Socket } from "node:net";
import { describe, expect, inject, it } from "vitest";

function query(agent: Agent, sockets: Socket[]): Promise<number> {
  const url = new URL(`${inject("gatewayUrl")}/sql`);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "Content-Type": "application/json",
          "Neon-Connection-String": inject("databaseUrl"),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("socket", (socket) => sockets.push(socket));
    req.on("error", reject);
    req.end(JSON.stringify({ query: "select 1 as one", params: [] }));
  });
}

describe("gateway keep-alive", () => {
  it("a connection left idle longer than Node's default 5 s is still open and reused", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets: Socket[] = [];
    expect(await query(agent, sockets)).toBe(200);
    await new Promise((r) => setTimeout(r, 6_000));
    expect(await query(agent, sockets)).toBe(200);
    expect(sockets).toHaveLength(2);
    expect(sockets[1]).toBe(sockets[0]);
    agent.destroy();
  }, 20_000);
});
