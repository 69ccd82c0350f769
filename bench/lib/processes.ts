/**
 * Child processes the bench starts (gateway, `wrangler dev` instances): each in a process group of
 * its own, its output in a log file, stopped by its group id (SIGINT as Ctrl-C would, then SIGKILL
 * after a grace period), never by name.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from "node:fs";

/** A running child process and where its output goes. */
export interface Child {
  name: string;
  process: ChildProcess;
  logFile: string;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
  /** Sends SIGINT to its whole process group at once (what Ctrl-C would); `stop` then waits. */
  interrupt(): void;
  /** Stops its whole process group; resolves once the leader exited (at most `graceMs` + 2 s). */
  stop(graceMs?: number): Promise<void>;
  /** CPU seconds its process group has used so far (Linux /proc); undefined elsewhere. */
  cpuSeconds(): number | undefined;
  /** Pids of its process group (Linux /proc); empty elsewhere. */
  pids(): number[];
}

/** Linux's USER_HZ: the unit of utime and stime in /proc/PID/stat (100 on every mainstream build). */
const CLOCK_TICKS = 100;

/**
 * The /proc/PID/stat fields (from "state" on) of each live process of process group `pgid`, by pid;
 * undefined without /proc.
 */
function groupStats(pgid: number): Map<number, string[]> | undefined {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const stats = new Map<number, string[]>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the command name (which may hold spaces) start at "state".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid) stats.set(Number(pid), fields);
    } catch {
      // The process ended between readdir and read.
    }
  }
  return stats;
}

/** CPU seconds (user + system) used by the live processes of process group `pgid`; undefined without /proc. */
export function groupCpuSeconds(pgid: number): number | undefined {
  const stats = groupStats(pgid);
  if (!stats) return undefined;
  let ticks = 0;
  for (const fields of stats.values()) ticks += Number(fields[11]) + Number(fields[12]);
  return ticks / CLOCK_TICKS;
}

/** Pids of the live processes of process group `pgid` (Linux /proc); empty elsewhere. */
export function groupPids(pgid: number): number[] {
  return [...(groupStats(pgid)?.keys() ?? [])];
}

/** The command line of `pid` as its words (Linux /proc); empty when it is gone. */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** TCP ports `pid` listens on (Linux /proc: its socket inodes matched in /proc/net/tcp{,6}). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1] as string);
      } catch {
        // Closed meanwhile.
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let lines: string[];
    try {
      lines = readFileSync(table, "utf8").trim().split("\n").slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      // sl local_address rem_address st ... inode: state 0A is LISTEN.
      const f = line.trim().split(/\s+/);
      if (f[3] === "0A" && inodes.has(f[9] as string))
        ports.push(Number.parseInt((f[1] as string).split(":")[1] as string, 16));
    }
  }
  return ports;
}

/** Starts `command args` in its own process group with stdout and stderr appended to `logFile`. */
export function startChild(
  name: string,
  command: string,
  args: string[],
  options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Child {
  const fd = openSync(options.logFile, "a");
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", fd, fd],
    detached: true,
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once("exit", () => resolve());
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  let stopping: Promise<void> | undefined;
  return {
    name,
    cpuSeconds: () => (child.pid === undefined ? undefined : groupCpuSeconds(child.pid)),
    pids: () => (child.pid === undefined ? [] : groupPids(child.pid)),
    interrupt: () => signalGroup("SIGINT"),
    process: child,
    logFile: options.logFile,
    tail(lines = 20) {
      try {
        return readFileSync(options.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        signalGroup("SIGINT");
        const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
        if ((await Promise.race([exited, timer])) === "timeout") signalGroup("SIGKILL");
        // workerd and esbuild may outlive wrangler briefly; the group gets a final SIGKILL either way.
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
        signalGroup("SIGKILL");
      })();
      return stopping;
    },
  };
}

/**
 * Polls `url` until it answers `expectStatus` (default any 2xx); throws after `timeoutMs`, or at
 * once when `child` exits first.
 */
export async function waitForHttp(
  url: string,
  child: Child,
  { timeoutMs = 120_000, headers = {} }: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null)
      throw new Error(`${child.name} exited before ${url} answered:\n${child.tail()}`);
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${child.name}: ${url} not ready after ${timeoutMs / 1000} s (${last}):\n${child.tail()}`);
}
