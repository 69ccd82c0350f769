/**
 * Configuration: one zod schema over the Worker's vars, secrets and bindings, parsed once per
 * isolate (per env object). Parsing fails closed with messages that name the variable, never its value.
 */
import { z } from "zod";

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
    JWT_PREVIOUS_SECRETS: csv,
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
    APP_URL: z.url().default("http://127.0.0.1:8787"),

    METRICS_TOKEN: z.string().min(1).optional(),
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
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
    if (cfg.JWT_PRIVATE_KEY && !isSigningJwk(cfg.JWT_PRIVATE_KEY)) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_PRIVATE_KEY"],
        message: "must be a private JWK (JSON) with kid, alg EdDSA or ES256, and d",
      });
    }
    if (cfg.JWT_PUBLIC_KEYS && !isPublicJwks(cfg.JWT_PUBLIC_KEYS)) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_PUBLIC_KEYS"],
        message: 'must be a JWKS (JSON {"keys": [...]}) with kid and alg on each key',
      });
    }
    // The gateway is a local tool: in staging as in production it could only be a misconfiguration.
    if (cfg.LOCAL_DB_GATEWAY && cfg.ENVIRONMENT !== "development" && cfg.ENVIRONMENT !== "test") {
      ctx.addIssue({
        code: "custom",
        path: ["LOCAL_DB_GATEWAY"],
        message: "LOCAL_DB_GATEWAY is only allowed when ENVIRONMENT is development or test",
      });
    }
  });

export type Config = z.output<typeof ConfigSchema>;

const Jwk = z.object({ kid: z.string().min(1), alg: z.enum(["EdDSA", "ES256"]), kty: z.enum(["OKP", "EC"]) });
const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
function isSigningJwk(text: string): boolean {
  return Jwk.extend({ d: z.string().min(1) }).safeParse(parseJson(text)).success;
}
function isPublicJwks(text: string): boolean {
  return z.object({ keys: z.array(Jwk) }).safeParse(parseJson(text)).success;
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
