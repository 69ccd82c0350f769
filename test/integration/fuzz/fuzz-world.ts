/**
 * Everything one fuzz run needs: the operations of the served document, a private database, a
 * caller of the drawn role (and a bystander) minted per run, and `check`, which sends one request
 * and returns every way its answer breaks the four properties:
 *
 * 1. never a 5xx;
 * 2. the status is one the operation declares;
 * 3. the body (and the declared headers) match the document; an error is a problem with a stable
 *    snake_case `code`, and the one the document implies (401, 403, 413, 400 `malformed_json`,
 *    400 `invalid_content_type`, 422 `validation_failed`) when the request breaks it;
 * 4. a rejected (4xx) request changes no row in any table.
 *
 * Stripe is the one thing outside our reach: its HTTP API is answered here (the billing routes'
 * own tests do the same), so the billing routes run as in a configured deployment.
 */
import type fc from "fast-check";
import { vi } from "vitest";
import { AVATAR_UPLOAD_PATH, MULTIPART_OVERHEAD_BYTES } from "../../../src/middleware/body-limit.ts";
import { IMAGES } from "../../fixtures/images.ts";
import { Contract } from "../../helpers/contract.ts";
import { api } from "../../helpers/harness.ts";
import { signStripe } from "../billing/helpers.ts";
import { type FuzzDatabase, fuzzDatabase, type Minted } from "./fuzz-database.ts";
import { type FuzzOperation, fuzzOperations, type OpenApiDocument, SchemaValidator } from "./operations.ts";
import {
  type BuiltRequest,
  buildRequest,
  type Credential,
  type FuzzRequest,
  judge,
  ROLE_CREDENTIALS,
  type RunValues,
  requestArbitrary,
  type Verdict,
} from "./requests.ts";
import { Bytes, type SchemaContext } from "./schema-arbitraries.ts";

/** The configuration fuzzed: billing and task prices on, so those routes run their real code. */
export const FUZZ_ENV = {
  STRIPE_SECRET_KEY: "sk_test_fuzz",
  STRIPE_WEBHOOK_SECRET: "whsec_fuzz_secret",
  CREDIT_PACKS: JSON.stringify([{ id: "starter", credits: 100, price_id: "price_starter" }]),
  TASK_COST_LONG_RUNNING: "3",
};
/**
 * The one write a rejection is meant to make: a failed login is kept in the caller's security log
 * (GET /users/me/security-events). The digest leaves those rows out and counts every other row.
 */
const REJECTIONS_RECORDED = { security_events: "type <> 'login_failed'" };
/** What a minted caller owns, so that priced tasks sometimes pass and sometimes need more. */
const CALLER_CREDITS = 5;

const SNAKE_CASE = /^[a-z][a-z0-9_]*$/;
/**
 * Codes that say "this is not a request of the declared form": never the answer to a request the
 * document calls valid. (422 `validation_failed` can be: rules JSON Schema cannot state, such as
 * `password_confirm` equal to `password` or a common password, are the server's alone; so can 415
 * for an upload whose content is no image.)
 */
const SHAPE_CODES = new Set(["malformed_json", "invalid_content_type"]);

export interface Outcome {
  status: number;
  code: string | undefined;
  verdict: Verdict;
  /** Broken properties (empty: the answer honours them all). */
  failures: string[];
  /** Request and response, for messages. */
  dump: string;
}

export interface FuzzWorld {
  operations: FuzzOperation[];
  db: FuzzDatabase;
  operation(name: string): FuzzOperation;
  arbitrary(op: FuzzOperation): fc.Arbitrary<FuzzRequest>;
  check(op: FuzzOperation, request: FuzzRequest): Promise<Outcome>;
  /** Empties the database (and forgets the callers in it). */
  reset(): Promise<void>;
  /** Statuses seen per operation (for the long run's report). */
  statuses: Map<string, Map<number, number>>;
  dispose(): void;
}

export async function createFuzzWorld(): Promise<FuzzWorld> {
  const db = await fuzzDatabase(FUZZ_ENV, REJECTIONS_RECORDED);
  const docRes = await api("GET", "/api/openapi.json", { env: db.env });
  const doc = docRes.body as OpenApiDocument;
  const operations = fuzzOperations(doc);
  const contract = new Contract(doc as never);
  const schemas: SchemaContext = { schemas: doc.components.schemas };
  const validator = new SchemaValidator(schemas);
  const maxBody = Number(db.env.MAX_BODY_BYTES ?? 1024 * 1024);
  const avatarMax = Number(db.env.AVATAR_MAX_BYTES ?? 5 * 1024 * 1024);
  const bodyLimit = (op: FuzzOperation) =>
    op.method === "POST" && op.template === AVATAR_UPLOAD_PATH
      ? avatarMax + MULTIPART_OVERHEAD_BYTES
      : maxBody;
  const judgeContext = { schemas, validator, operations, bodyLimit };
  const statuses = new Map<string, Map<number, number>>();
  /** Callers that are as they were minted (pooled by credential), and the digests with them in. */
  const pool = new Map<Credential, { caller: Minted; bystander: Minted }>();
  let lastDigests: Record<string, string> | undefined;

  const realFetch = globalThis.fetch;
  const stripe = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).hostname !== "api.stripe.com") return realFetch(input, init);
    const id = crypto.randomUUID().slice(0, 8);
    if (request.url.endsWith("/v1/customers")) return Response.json({ id: `cus_${id}`, object: "customer" });
    if (request.url.endsWith("/v1/checkout/sessions"))
      return Response.json({
        id: `cs_test_${id}`,
        object: "checkout.session",
        url: `https://checkout.stripe.com/c/pay/cs_test_${id}`,
      });
    return Response.json({ error: { type: "invalid_request_error" } }, { status: 404 });
  });

  const runValues = (credential: Credential, caller: Minted, bystander: Minted): RunValues => ({
    known: {
      "caller.id": caller.id,
      "caller.session_id": caller.sessionId,
      "caller.username": caller.username,
      "caller.email": caller.email,
      "caller.password": caller.password,
      "caller.refresh_token": caller.refreshToken,
      "caller.verify_token": caller.verifyToken,
      "caller.reset_token": caller.resetToken,
      "bystander.id": bystander.id,
      "bystander.username": bystander.username,
      "bystander.email": bystander.email,
      credit_pack: "starter",
      "image.png": new Bytes(IMAGES.png, "image/png"),
      "image.jpeg": new Bytes(IMAGES.jpg, "image/jpeg"),
      "image.gif": new Bytes(IMAGES.gif, "image/gif"),
      "image.webp": new Bytes(IMAGES.webp, "image/webp"),
    },
    authorization:
      credential === "anonymous"
        ? undefined
        : credential === "garbage_token"
          ? "Bearer garbage.token.value"
          : `Bearer ${caller.accessToken}`,
    sign: (_header, body) => signStripe(body, FUZZ_ENV.STRIPE_WEBHOOK_SECRET),
  });

  /**
   * The run's caller and bystander: reused after a rejected request that changed no row (they are
   * as they were), minted afresh otherwise. Returns the digests as they stand before the request.
   */
  const callers = async (credential: Credential) => {
    const known = lastDigests;
    lastDigests = undefined; // until this run proves that nothing changed
    const pair = pool.get(credential);
    if (pair && known) return { ...pair, before: known };
    pool.clear();
    const minted = await db.mint({
      role: ROLE_CREDENTIALS.has(credential) ? (credential as "user") : "user",
      credits: CALLER_CREDITS,
      revoked: credential === "revoked_session",
    });
    pool.set(credential, { caller: minted.caller, bystander: minted.bystander });
    return { caller: minted.caller, bystander: minted.bystander, before: minted.digests };
  };

  const check = async (op: FuzzOperation, request: FuzzRequest): Promise<Outcome> => {
    const { caller, bystander, before } = await callers(request.credential);
    const run = runValues(request.credential, caller, bystander);
    const built = await buildRequest(op, request, run);
    const verdict = judge(op, request, built, run, judgeContext);
    const res = await api(built.method, built.path, {
      headers: built.headers,
      ...(built.body !== undefined ? { body: built.body } : {}),
      env: db.env,
      unchecked: true,
    });
    const code = typeof res.body === "object" && res.body !== null ? res.body.code : undefined;
    const perOp = statuses.get(op.name) ?? new Map<number, number>();
    perOp.set(res.status, (perOp.get(res.status) ?? 0) + 1);
    statuses.set(op.name, perOp);

    const failures: string[] = [];
    if (res.status >= 500) failures.push(`answered ${res.status} (never a 5xx)`);
    failures.push(
      ...contract.check(built.method, built.path, res.status, res.headers, res.text ? res.body : undefined, {
        rateLimited: false,
      }),
    );
    if (res.status >= 400 && !(typeof code === "string" && SNAKE_CASE.test(code)))
      failures.push(`an error without a stable snake_case code: ${JSON.stringify(code)}`);
    const expected = verdict.expected;
    if (
      expected &&
      (expected.status === undefined ? res.status < 400 || res.status >= 500 : res.status !== expected.status)
    )
      failures.push(`expected ${expected.status ?? "a 4xx"} (${expected.why}), got ${res.status} ${code}`);
    else if (expected?.code !== undefined && code !== expected.code)
      failures.push(`expected the code ${expected.code} (${expected.why}), got ${res.status} ${code}`);
    if (verdict.valid && res.status >= 400 && typeof code === "string" && SHAPE_CODES.has(code))
      failures.push(`the document calls this request valid, yet it was refused as ${res.status} ${code}`);
    if (res.status >= 400 && res.status < 500) {
      const after = await db.tableDigests();
      const changed = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
      if (changed.length) failures.push(`a rejected request changed rows in: ${changed.join(", ")}`);
      else lastDigests = after;
    }
    return { status: res.status, code, verdict, failures, dump: dumpOf(request, built, res.dump) };
  };

  return {
    operations,
    db,
    statuses,
    operation(name) {
      const op = operations.find((o) => o.name === name);
      if (!op) throw new Error(`the document has no operation ${name}`);
      return op;
    },
    arbitrary: (op) => requestArbitrary(op, schemas),
    check,
    async reset() {
      pool.clear();
      lastDigests = undefined;
      await db.truncate();
    },
    dispose: () => stripe.mockRestore(),
  };
}

/** The request and the answer, short enough for an assertion message. */
function dumpOf(request: FuzzRequest, built: BuiltRequest, response: string): string {
  const cut = (v: string, n: number) => (v.length > n ? `${v.slice(0, n)}...(${v.length})` : v);
  const headers = Object.entries(built.headers)
    .map(([k, v]) => `${k}: ${cut(v, 120)}`)
    .join("; ");
  const body =
    typeof built.body === "string"
      ? cut(built.body, 300)
      : built.body instanceof FormData
        ? `<multipart form ${JSON.stringify([...built.body.keys()])}>`
        : built.body
          ? `<${built.body.length} bytes>`
          : "<none>";
  return `${request.mutation} as ${request.credential}: ${built.method} ${cut(built.path, 300)} [${headers}] ${body}\n  -> ${cut(response, 800)}`;
}
