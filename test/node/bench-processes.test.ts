/**
 * What the bench uses to reach a Worker's own workerd past wrangler dev's proxy worker
 * (bench/lib/stack.ts `directUrl`): the process group of a child, a process's command line and the
 * TCP ports it listens on, all read from Linux's /proc.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { commandLine, groupPids, listeningPorts } from "../../bench/lib/processes.ts";

const linux = process.platform === "linux";

describe.runIf(linux)("bench: processes read from /proc", () => {
  it("lists the ports a process listens on, and only those", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    try {
      expect(listeningPorts(process.pid)).toContain(port);
    } finally {
      server.close();
      await once(server, "close");
    }
    expect(listeningPorts(process.pid)).not.toContain(port);
  });

  it("finds a child's process group and its command line", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)", "--", "--bench-marker"], {
      detached: true,
      stdio: "ignore",
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const pid = child.pid as number;
      expect(groupPids(pid)).toContain(pid);
      expect(groupPids(pid)).not.toContain(process.pid);
      expect(commandLine(pid)).toContain("--bench-marker");
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    expect(commandLine(child.pid as number)).toEqual([]);
  });
});
