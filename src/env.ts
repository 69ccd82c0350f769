/**
 * Configuration: one zod schema over the Worker's vars, secrets and bindings, parsed once per
 * isolate (per env object). Parsing fails closed with messages that name the variable, never its value.
 */
import { z } from "zod";
import { PrivateJwkSchema, PublicJwksSchema, privateMembersIn } from "./lib/jwk.ts";

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const seconds = z.coerce.number().int().positive();
const count = z.coerce.number().int().positive();
const csv = z
  .string()
  .default("")
  .transform((v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** Environments that run on a developer's machine or in tests (local defaults allowed). */
/** Non-negative whole number of credits (a task type's price). */
const credits = z.coerce.number().int().min(0);

/** One purchasable credit pack: `price_id` is the Stripe Price the Checkout Session charges. */
const CreditPackSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9_-]{1,64}$/, "must be 1..64 of [a-z0-9_-]"),
    credits: z.number().int().positive().max(1_000_000_000),
    price_id: z.string().regex(/^price_[A-Za-z0-9_]+$/, "must be a Stripe Price id (price_...)"),
  })
  .strict();
export type CreditPack = z.infer<typeof CreditPackSchema>;

/** `CREDIT_PACKS`: a JSON array of packs with distinct ids (empty when unset). */
const creditPacks = z
  .string()
  .default("[]")
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON array of {id, credits, price_id}" });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(CreditPackSchema)
      .refine((packs) => new Set(packs.map((p) => p.id)).size === packs.length, "pack ids must be distinct"),
  );

const LOCAL_ENVIRONMENTS = new Set(["development", "test"]);
const LOCAL_APP_URL = "http://127.0.0.1:8787";

const ConfigSchema = z
  .object({
    ENVIRONMENT: z.enum(["development", "test", "staging", "production"]).default("production"),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),

    DATABASE_URL: z
      .string({ error: "is required" })
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL"),
    /** Local only: the gateway in scripts/local that speaks Neon's HTTP and WebSocket protocols. */
    LOCAL_DB_GATEWAY: z.url().optional(),

    JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    /** Extra HS256 secrets still accepted for verification while keys rotate (comma-separated). */
    JWT_PREVIOUS_SECRETS: csv.pipe(z.array(z.string().min(32, "each secret must be at least 32 characters"))),
    /** Private JWK (JSON) for EdDSA or ES256 signing; its public half is published at /jwks.json. */
    JWT_PRIVATE_KEY: z.string().optional(),
    /** Public JWKS (JSON) of earlier signing keys still accepted for verification. */
    JWT_PUBLIC_KEYS: z.string().optional(),
    JWT_ISSUER: z.string().min(1).default("edge-auth-api"),
    JWT_AUDIENCE: z.string().min(1).default("edge-auth-api"),
    ACCESS_TOKEN_TTL_SECONDS: seconds.default(3600),
    REFRESH_TOKEN_TTL_SECONDS: seconds.default(7 * 24 * 3600),
    REMEMBER_ME_REFRESH_TOKEN_TTL_SECONDS: seconds.default(30 * 24 * 3600),
    REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).default(10),
    /** A session's absolute lifetime from login; refreshes never extend it past this. */
    SESSION_MAX_LIFETIME_SECONDS: seconds.default(90 * 24 * 3600),
    /** Security events older than this are purged by the cron trigger. */
    SECURITY_EVENT_RETENTION_DAYS: count.default(365),

    UPSTASH_REDIS_REST_URL: z.url().optional(),
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
    /** How long one Redis call may take before the in-memory limiter takes over. */
    REDIS_TIMEOUT_MS: count.default(500),
    RATE_LIMIT_ENABLED: bool.default(true),
    RATE_LIMIT_AUTH_PER_MINUTE: count.default(5),
    RATE_LIMIT_IP_PER_MINUTE: count.default(100),
    RATE_LIMIT_USER_PER_HOUR: count.default(1000),
    RATE_LIMIT_EMAIL_PER_HOUR: count.default(5),
    RATE_LIMIT_FAILED_LOGINS: count.default(10),
    RATE_LIMIT_FAILED_LOGINS_WINDOW_SECONDS: seconds.default(900),

    CORS_ORIGINS: csv,
    MAX_BODY_BYTES: count.default(1024 * 1024),
    AVATAR_MAX_BYTES: count.default(5 * 1024 * 1024),

    EMAIL_PROVIDER: z.enum(["console", "resend"]).default("console"),
    EMAIL_FROM: z.string().default("no-reply@example.com"),
    /** Resend API key; required when EMAIL_PROVIDER is resend. */
    RESEND_API_KEY: z.string().min(1).optional(),
    /** Attempts at sending one e-mail before its outbox row is marked failed. */
    EMAIL_MAX_ATTEMPTS: count.default(5),
    /**
     * Public base URL of this deployment (links in e-mails, avatar URLs); required outside development
     * and test. At most 1024 characters: the URLs built on it are documented as at most 2048.
     */
    APP_URL: z.url().max(1024).optional(),

    /** Runs a background task gets before it is marked FAILURE. */
    TASK_MAX_ATTEMPTS: count.default(3),

    METRICS_TOKEN: z.string().min(1).optional(),
    /** At most one flush of an isolate's metric deltas to Redis per this many milliseconds. */
    METRICS_FLUSH_INTERVAL_MS: z.coerce.number().int().min(0).default(1000),
    /** The Redis hash that holds the totals (one per deployment sharing a Redis). */
    METRICS_REDIS_KEY: z.string().min(1).default("metrics:v1"),
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
    /** Credit packs sold through Stripe Checkout: JSON `[{"id","credits","price_id"}]`. */
    CREDIT_PACKS: creditPacks,
    /** Price in credits of each task type (0: free). */
    TASK_COST_ADD: credits.default(0),
    TASK_COST_LONG_RUNNING: credits.default(0),
    TASK_COST_PROCESS_DATA: credits.default(0),
  })
  .superRefine((cfg, ctx) => {
    if (!cfg.JWT_SECRET && !cfg.JWT_PRIVATE_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SECRET"],
        message: "JWT_SECRET or JWT_PRIVATE_KEY is required",
      });
    }
    if (Boolean(cfg.UPSTASH_REDIS_REST_URL) !== Boolean(cfg.UPSTASH_REDIS_REST_TOKEN)) {
      ctx.addIssue({
        code: "custom",
        path: ["UPSTASH_REDIS_REST_TOKEN"],
        message: "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN go together",
      });
    }
    if (!cfg.APP_URL && !LOCAL_ENVIRONMENTS.has(cfg.ENVIRONMENT)) {
      ctx.addIssue({
        code: "custom",
        path: ["APP_URL"],
        message: "is required outside development and test",
      });
    } else if (
      cfg.APP_URL &&
      !LOCAL_ENVIRONMENTS.has(cfg.ENVIRONMENT) &&
      !cfg.APP_URL.startsWith("https://")
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["APP_URL"],
        message: "must be an https:// URL outside development and test",
      });
    }
    if (cfg.EMAIL_PROVIDER === "resend" && !cfg.RESEND_API_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["RESEND_API_KEY"],
        message: "is required when EMAIL_PROVIDER is resend",
      });
    }
    for (const problem of signingKeyProblems(cfg.JWT_PRIVATE_KEY, cfg.JWT_PUBLIC_KEYS)) {
      ctx.addIssue({ code: "custom", path: [problem.variable], message: problem.message });
    }
    // The gateway is a local tool: in staging as in production it could only be a misconfiguration.
    if (cfg.LOCAL_DB_GATEWAY && cfg.ENVIRONMENT !== "development" && cfg.ENVIRONMENT !== "test") {
      ctx.addIssue({
        code: "custom",
        path: ["LOCAL_DB_GATEWAY"],
        message: "LOCAL_DB_GATEWAY is only allowed when ENVIRONMENT is development or test",
      });
    }
  })
  // Local runs may omit APP_URL: they are served by `wrangler dev` at the default address.
  .transform((cfg) => ({ ...cfg, APP_URL: cfg.APP_URL ?? LOCAL_APP_URL }));

export type Config = z.output<typeof ConfigSchema>;

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
/** "member: what is wrong", from the first zod issue (zod v4 messages carry no input values). */
const firstIssue = (error: z.ZodError) => {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  return issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : "not a JSON object";
};

/**
 * Checks the asymmetric keys as far as can be done synchronously: shape, curve, algorithm and sizes
 * (the import itself is async and happens when the key ring is built, failing as a ConfigError too).
 * Messages name members and positions, never values.
 */
function signingKeyProblems(
  privateKey: string | undefined,
  publicKeys: string | undefined,
): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const kids: string[] = [];
  if (privateKey) {
    const parsed = PrivateJwkSchema.safeParse(parseJson(privateKey), { reportInput: false });
    if (parsed.success) kids.push(parsed.data.kid);
    else {
      problems.push({
        variable: "JWT_PRIVATE_KEY",
        message: `must be a private JWK (JSON) with kid and alg EdDSA (kty OKP, crv Ed25519, x and d) or ES256 (kty EC, crv P-256, x, y and d) (${firstIssue(parsed.error)})`,
      });
    }
  }
  if (publicKeys) {
    const json = parseJson(publicKeys);
    const leaked = privateMembersIn(json);
    const parsed = PublicJwksSchema.safeParse(json, { reportInput: false });
    if (leaked.length > 0) {
      // Refused outright: a private member here would be published at /jwks.json.
      problems.push({
        variable: "JWT_PUBLIC_KEYS",
        message: `must hold public keys only, found private member(s) ${leaked.join(", ")}`,
      });
    } else if (!parsed.success) {
      problems.push({
        variable: "JWT_PUBLIC_KEYS",
        message: `must be a JWKS (JSON {"keys": [...]}) of EdDSA or ES256 public keys with kid and alg (${firstIssue(parsed.error)})`,
      });
    } else kids.push(...parsed.data.keys.map((k) => k.kid));
  }
  // A repeated kid would silently replace one verification key with another.
  if (new Set(kids).size !== kids.length) {
    problems.push({
      variable: publicKeys ? "JWT_PUBLIC_KEYS" : "JWT_PRIVATE_KEY",
      message: "each kid must name one key only",
    });
  }
  return problems;
}

/** Thrown when the environment does not validate; `problems` name variables, never values. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

const cache = new WeakMap<object, Config>();

/** Parses the Worker's env once per env object (i.e. once per isolate in production). */
export function loadConfig(env: object): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  // Empty strings mean "not set" (wrangler.toml uses "" for optional vars).
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) {
    if (typeof value === "string" && value !== "") raw[key] = value;
  }
  const parsed = ConfigSchema.safeParse(raw, { reportInput: false });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`));
  }
  cache.set(env, parsed.data);
  return parsed.data;
}
