/**
 * Structured JSON logs, one object per line (Workers Logs indexes the fields).
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Whether a line at `lvl` would be written. */
  enabled(lvl: Exclude<LogLevel, "silent">): boolean;
}

/** What every line starts with, before the logger's fixed fields. */
const HEAD_MEMBERS = new Set(["level", "time", "msg"]);

/** `{"a":1,"b":2}` → `,"a":1,"b":2`; `{}` → `` (to splice into a line after `msg`). */
const members = (fields: Record<string, unknown>) => {
  const json = JSON.stringify(fields);
  return json.length > 2 ? `,${json.slice(1, -1)}` : "";
};

/**
 * A logger with fixed fields (`base`): they are serialized once, when the logger is made, and
 * spliced into every line; a line's own fields follow them. A line is
 * `{"level", "time", "msg", ...base, ...fields}`, a field of the line replacing a base field of the
 * same name.
 */
class JsonLogger implements Logger {
  readonly #threshold: number;
  readonly #base: Record<string, unknown>;
  /**
   * `base` serialized, or null when it names a head member (then every line is built whole);
   * computed on the first line written, since most request loggers write none.
   */
  #baseMembers: string | null | undefined;

  constructor(
    readonly level: LogLevel,
    base: Record<string, unknown>,
  ) {
    this.#threshold = ORDER[level];
    this.#base = base;
  }

  /** Whether a line at `lvl` would be written (to skip building fields that would be dropped). */
  enabled(lvl: Exclude<LogLevel, "silent">): boolean {
    return ORDER[lvl] >= this.#threshold;
  }

  /** Whether `fields` would replace a member of the line's head or of `base`. */
  #overlaps(fields: Record<string, unknown>) {
    for (const k in fields) if (k in this.#base || HEAD_MEMBERS.has(k)) return true;
    return false;
  }

  #write(lvl: Exclude<LogLevel, "silent">, msg: string, fields?: Record<string, unknown>) {
    if (ORDER[lvl] < this.#threshold) return;
    const time = new Date().toISOString();
    if (this.#baseMembers === undefined)
      this.#baseMembers = Object.keys(this.#base).some((k) => HEAD_MEMBERS.has(k))
        ? null
        : members(this.#base);
    const line =
      this.#baseMembers === null || (fields && this.#overlaps(fields))
        ? JSON.stringify({ level: lvl, time, msg, ...this.#base, ...fields })
        : `{"level":"${lvl}","time":"${time}","msg":${JSON.stringify(msg)}${this.#baseMembers}${fields ? members(fields) : ""}}`;
    if (lvl === "error") console.error(line);
    else if (lvl === "warn") console.warn(line);
    else console.log(line);
  }

  debug(msg: string, fields?: Record<string, unknown>) {
    this.#write("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>) {
    this.#write("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>) {
    this.#write("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>) {
    this.#write("error", msg, fields);
  }
  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.level, { ...this.#base, ...fields });
  }
}

/**
 * @example
 * const log = createLogger("info", { request_id: id });
 * log.warn("redis unavailable, using in-memory limiter", { error: String(err) });
 */
export function createLogger(level: LogLevel, base: Record<string, unknown> = {}): Logger {
  return new JsonLogger(level, base);
}
