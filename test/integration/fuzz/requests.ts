/**
 * Requests for one operation: a valid draw from its declared parameters and body, and mutations of
 * it (the operators in MUTATIONS), each sent with one of the credentials in CREDENTIALS. A request
 * is kept symbolic (placeholders for run values, `Repeat` for huge strings) so that a failure
 * prints short and can be pasted into a regression test as it is.
 */
import fc from "fast-check";
import type { FuzzOperation, Parameter, SchemaValidator } from "./operations.ts";
import {
  anyJson,
  Bytes,
  invalidValue,
  type JsonSchema,
  KNOWN,
  Known,
  ODD_STRINGS,
  resolve,
  type SchemaContext,
  typesOf,
  validValue,
} from "./schema-arbitraries.ts";

/** Who calls: nobody, a token that cannot work, or a live caller of a role. */
export const CREDENTIALS = [
  "anonymous",
  "garbage_token",
  "revoked_session",
  "user",
  "moderator",
  "admin",
] as const;
export type Credential = (typeof CREDENTIALS)[number];
export const ROLE_CREDENTIALS = new Set<Credential>(["user", "moderator", "admin"]);

/** `unit` repeated `count` times, built only when the request is sent (prints short). */
export class Repeat {
  constructor(
    readonly unit: string,
    readonly count: number,
  ) {}
  [fc.toStringMethod]() {
    return `Repeat(${JSON.stringify(this.unit)}, ${this.count})`;
  }
  toString() {
    return this.unit.repeat(this.count);
  }
}

export type BodySpec =
  /** `value` serialized as `mediaType`, sent with `contentType` (undefined: the media type's own; null: none). */
  | { kind: "value"; mediaType: string; value: unknown; contentType?: string | null }
  /** Raw text (malformed JSON and the like). */
  | { kind: "text"; text: string | Repeat; contentType: string | null };

export interface FuzzRequest {
  credential: Credential;
  /** Path parameter values; `raw` ones are put into the path without percent-encoding. */
  path: Record<string, { value: unknown; raw?: boolean }>;
  /** Query pairs in order (a name may repeat). */
  query: [string, unknown][];
  /** Declared header parameters. */
  headers: [string, unknown][];
  /** Other headers; `append` ones are added to what is there (a duplicated header), others replace. */
  extraHeaders: { name: string; value: string | Repeat; append?: boolean }[];
  body: BodySpec | undefined;
  /** What was done to the valid draw ("valid" when nothing). */
  mutation: string;
}

/** Headers whose valid value is computed from the rest of the request (a signature over the body). */
export const SIGNED_HEADERS = new Set(["stripe-signature"]);

const WRONG_CONTENT_TYPES = [
  "text/plain",
  "text/plain; charset=utf-8",
  "application/xml",
  "application/octet-stream",
  "application/jsonx",
  "json",
  "application/",
  "*/*",
  "application/json, text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=fuzzboundary",
];

const MALFORMED_JSON = [
  "",
  "{",
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  "[1,2",
  "NaN",
  '{"a":NaN}',
  "\ufeff{}",
  '{"a":"\\x"}',
  '{"a":1}}',
  "}{",
  "nul",
  '{"a":"\u0000"',
  "\u0000",
];

const ODD_PATH_SEGMENTS = [
  "..",
  ".",
  "%",
  "%2F",
  "a/b",
  "a?b=1",
  "a#b",
  "%E0%A4%A",
  "%C0%AF",
  "%00",
  "",
  "me",
  "%FF%FE",
];

export interface OperationArbitraries {
  request: fc.Arbitrary<FuzzRequest>;
}

const params = (op: FuzzOperation, where: Parameter["in"]) => op.parameters.filter((p) => p.in === where);

function validParamValue(p: Parameter, ctx: SchemaContext): fc.Arbitrary<unknown> {
  const valid = validValue(p.schema, ctx);
  return SIGNED_HEADERS.has(p.name.toLowerCase())
    ? fc.oneof(fc.constant(new Known("signature")), valid)
    : valid;
}

function pairs(list: Parameter[], ctx: SchemaContext): fc.Arbitrary<[string, unknown][]> {
  if (list.length === 0) return fc.constant([]);
  return fc
    .tuple(
      ...list.map((p) =>
        p.required
          ? validParamValue(p, ctx).map((v) => [[p.name, v]] as [string, unknown][])
          : fc
              .option(validParamValue(p, ctx), { nil: undefined })
              .map((v) => (v === undefined ? [] : ([[p.name, v]] as [string, unknown][]))),
      ),
    )
    .map((lists) => lists.flat());
}

function validBody(op: FuzzOperation, ctx: SchemaContext): fc.Arbitrary<BodySpec | undefined> {
  const types = Object.keys(op.body.media);
  if (types.length === 0) return fc.constant(undefined);
  const body = fc
    .constantFrom(...types)
    .chain((mediaType) =>
      validValue(op.body.media[mediaType] ?? {}, ctx).map(
        (value): BodySpec => ({ kind: "value", mediaType, value }),
      ),
    );
  return op.body.required ? body : fc.option(body, { nil: undefined });
}

/** The arbitrary of requests for `op`: about two in five valid, the rest mutated. */
export function requestArbitrary(op: FuzzOperation, ctx: SchemaContext): fc.Arbitrary<FuzzRequest> {
  const pathParams = params(op, "path");
  const valid: fc.Arbitrary<FuzzRequest> = fc.record({
    // Live callers twice as often as each kind of dead credential, to get past the gate.
    credential: fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom<Credential>("anonymous", "garbage_token", "revoked_session") },
      { weight: 2, arbitrary: fc.constantFrom<Credential>("user", "moderator", "admin") },
    ),
    // A path parameter names a resource: half the draws name one that exists.
    path: fc.record(
      Object.fromEntries(
        pathParams.map((p) => [
          p.name,
          fc
            .oneof(fc.constantFrom(...KNOWN.uuid.map((n) => new Known(n))), validValue(p.schema, ctx))
            .map((value) => ({ value })),
        ]),
      ),
    ) as fc.Arbitrary<FuzzRequest["path"]>,
    query: pairs(params(op, "query"), ctx),
    headers: pairs(params(op, "header"), ctx),
    extraHeaders: fc.constant([]),
    body: validBody(op, ctx),
    mutation: fc.constant("valid"),
  });
  const mutators = mutationsFor(op, ctx);
  const mutated = fc
    .tuple(valid, fc.constantFrom(...Object.keys(mutators)))
    .chain(([request, name]) => (mutators[name] as Mutator)(request).map((r) => ({ ...r, mutation: name })));
  return fc.oneof({ weight: 2, arbitrary: valid }, { weight: 3, arbitrary: mutated });
}

type Mutator = (request: FuzzRequest) => fc.Arbitrary<FuzzRequest>;

/** The mutation operators that apply to `op`, by name. */
export function mutationsFor(op: FuzzOperation, ctx: SchemaContext): Record<string, Mutator> {
  const m: Record<string, Mutator> = {};
  const mediaTypes = Object.keys(op.body.media);
  const query = params(op, "query");
  const path = params(op, "path");
  const headers = params(op, "header");
  const canHaveBody = op.method !== "GET" && op.method !== "HEAD";

  if (mediaTypes.length) {
    m["body: invalid value"] = (r) =>
      fc.constantFrom(...mediaTypes).chain((mediaType) =>
        invalidValue(op.body.media[mediaType] ?? {}, ctx).map((value) => ({
          ...r,
          body: { kind: "value", mediaType, value },
        })),
      );
    m["body: wrong content type"] = (r) =>
      fc
        .constantFrom(...WRONG_CONTENT_TYPES.filter((t) => !mediaTypes.includes(t.split(";")[0] as string)))
        .map((contentType) => ({ ...r, body: withContentType(r.body, op, contentType) }));
    m["body: no content type"] = (r) => fc.constant({ ...r, body: withContentType(r.body, op, null) });
    if (op.body.required) m["body: missing"] = (r) => fc.constant({ ...r, body: undefined });
  }
  if (mediaTypes.some((t) => /json/.test(t)) || (mediaTypes.length === 0 && canHaveBody)) {
    m["body: malformed JSON"] = (r) =>
      fc
        .oneof(
          fc.constantFrom(...MALFORMED_JSON),
          fc.constantFrom(10_000, 200_000).map((n) => new Repeat("[", n)),
          validValue(op.body.media["application/json"] ?? {}, ctx).map((v) =>
            JSON.stringify(serializable(v)).slice(0, -1),
          ),
        )
        .map((text) => ({ ...r, body: { kind: "text", text, contentType: "application/json" } }));
  }
  if (canHaveBody) {
    // Over MAX_BODY_BYTES (1 MiB in tests): refused before anything reads it.
    m["body: over the size limit"] = (r) =>
      fc.constant({
        ...r,
        body: {
          kind: "text",
          text: new Repeat("x", 1024 * 1024 + 1),
          contentType: mediaTypes[0] ?? "application/json",
        },
      });
    if (mediaTypes.length === 0)
      m["body: not declared"] = (r) =>
        anyJson(2).map((value) => ({ ...r, body: { kind: "value", mediaType: "application/json", value } }));
  }
  if (query.length) {
    m["query: invalid value"] = (r) =>
      fc.constantFrom(...query).chain((p) =>
        fc.oneof(invalidValue(p.schema, ctx), fc.constantFrom(...ODD_STRINGS)).map((v) => ({
          ...r,
          query: [...r.query.filter(([n]) => n !== p.name), [p.name, v]] as [string, unknown][],
        })),
      );
    m["query: duplicated"] = (r) =>
      fc
        .tuple(fc.constantFrom(...query), fc.array(fc.constantFrom(0, 1), { minLength: 2, maxLength: 2 }))
        .chain(([p]) =>
          fc.tuple(validValue(p.schema, ctx), validValue(p.schema, ctx)).map(([a, b]) => ({
            ...r,
            query: [...r.query.filter(([n]) => n !== p.name), [p.name, a], [p.name, b]] as [
              string,
              unknown,
            ][],
          })),
        );
  }
  m["query: unknown parameter"] = (r) =>
    fc
      .tuple(
        fc.constantFrom("__proto__", "constructor", "x", "skip[]", "limit[0]", ""),
        fc.constantFrom(...ODD_STRINGS),
      )
      .map(([name, v]) => ({ ...r, query: [...r.query, [name, v]] as [string, unknown][] }));
  if (path.length) {
    m["path: odd value"] = (r) =>
      fc.constantFrom(...path).chain((p) =>
        fc
          .oneof(
            invalidValue(p.schema, ctx).map((value) => ({ value })),
            fc.constantFrom(...ODD_STRINGS).map((value) => ({ value })),
            fc.constantFrom(...ODD_PATH_SEGMENTS).map((value) => ({ value, raw: true })),
            fc.constantFrom(2000, 100_000).map((n) => ({ value: new Repeat("a", n) })),
          )
          .map((v) => ({ ...r, path: { ...r.path, [p.name]: v } })),
      );
  }
  if (headers.length) {
    m["header: invalid parameter"] = (r) =>
      fc.constantFrom(...headers).chain((p) =>
        fc.oneof(invalidValue(p.schema, ctx), fc.constantFrom(...ODD_STRINGS)).map((v) => ({
          ...r,
          headers: [...r.headers.filter(([n]) => n !== p.name), [p.name, v]] as [string, unknown][],
        })),
      );
  }
  m["header: duplicated"] = (r) =>
    fc
      .tuple(
        fc.constantFrom(
          "Content-Type",
          "Authorization",
          "X-Request-Id",
          "Accept",
          ...headers.map((h) => h.name),
        ),
        fc.constantFrom("application/json", "Bearer x.y.z", "dup", "text/plain"),
      )
      .map(([name, value]) => ({ ...r, extraHeaders: [...r.extraHeaders, { name, value, append: true }] }));
  m["header: oversized"] = (r) =>
    fc
      .tuple(
        fc.constantFrom(
          "X-Request-Id",
          "User-Agent",
          "Authorization",
          "Cookie",
          "X-Fuzz",
          ...headers.map((h) => h.name),
        ),
        fc.constantFrom(8 * 1024, 64 * 1024, 512 * 1024),
      )
      .map(([name, n]) => ({ ...r, extraHeaders: [...r.extraHeaders, { name, value: new Repeat("a", n) }] }));
  m["header: odd request id"] = (r) =>
    fc
      .constantFrom(...ODD_STRINGS, "a".repeat(129), "ok-id", "a b", "é")
      .map((value) => ({ ...r, extraHeaders: [...r.extraHeaders, { name: "X-Request-Id", value }] }));
  return m;
}

function withContentType(
  body: BodySpec | undefined,
  op: FuzzOperation,
  contentType: string | null,
): BodySpec {
  const mediaType = Object.keys(op.body.media)[0] ?? "application/json";
  const base: BodySpec = body ?? { kind: "value", mediaType, value: {} };
  return { ...base, contentType };
}

/** Replaces placeholders with plain JSON stand-ins (for text that is never sent as a valid body). */
function serializable(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x) => (x instanceof Known ? x.name : x instanceof Bytes ? "" : x)) ?? "null",
  );
}

/* -------------------------------------------------------------------------------------------- */
/* Building the concrete request and deciding what its answer must be.                          */
/* -------------------------------------------------------------------------------------------- */

export interface RunValues {
  /** Values of the Known placeholders. */
  known: Record<string, unknown>;
  /** The Authorization header value for the request's credential (undefined: none). */
  authorization: string | undefined;
  /** Computes a signed header's value over the body text. */
  sign: (header: string, body: string) => Promise<string>;
}

export interface BuiltRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | FormData | Uint8Array | undefined;
  /** The body as the Worker will parse it (for the schema check), or a reason it cannot be. */
  parsedBody?: { ok: true; value: unknown } | { ok: false; why: "malformed" | "empty" | "unreadable" };
  /** The byte length of a text body (the body limit applies before anything else). */
  bodyBytes: number;
  /** The Content-Type the runtime adds itself (a FormData body's multipart type and boundary). */
  impliedContentType?: string;
  /** The valid value of each signed header (by lower-case name), whether or not it was sent. */
  signatures: Record<string, string>;
}

export function materialize(v: unknown, known: Record<string, unknown>): unknown {
  if (v instanceof Known) {
    if (!(v.name in known)) throw new Error(`no run value for ${v.name}`);
    return known[v.name];
  }
  if (v instanceof Repeat) return v.toString();
  if (v instanceof Bytes) return v;
  if (Array.isArray(v)) return v.map((x) => materialize(x, known));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      Object.defineProperty(out, k, {
        value: materialize(x, known),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return v;
}

const scalarText = (v: unknown): string =>
  v instanceof Bytes
    ? new TextDecoder().decode(v.bytes)
    : typeof v === "string"
      ? v
      : (JSON.stringify(v) ?? "");

/** A header value Headers accepts: no NUL, CR or LF, nothing above U+00FF. */
export const headerSafe = (s: string) => s.replace(/[\0\r\n]/g, "").replace(/[^\0-\u00ff]/g, "?");

export async function buildRequest(
  op: FuzzOperation,
  req: FuzzRequest,
  run: RunValues,
): Promise<BuiltRequest> {
  const known = run.known;
  const path = op.template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const p = req.path[name];
    const text = scalarText(materialize(p?.value, known));
    return p?.raw ? text : encodeURIComponent(wellFormed(text));
  });
  const search = new URLSearchParams();
  for (const [name, value] of req.query) search.append(name, scalarText(materialize(value, known)));
  const qs = search.toString();

  const headers: Record<string, string> = {};
  const setHeader = (name: string, value: string, append = false) => {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    const safe = headerSafe(value).trim();
    headers[key] = append && headers[key] !== undefined ? `${headers[key]}, ${safe}` : safe;
  };
  if (run.authorization) setHeader("Authorization", run.authorization);

  let body: string | FormData | Uint8Array | undefined;
  let bodyText = "";
  let formFields: Record<string, unknown> | undefined;
  const spec = req.body;
  if (spec?.kind === "text") {
    bodyText = spec.text.toString();
    body = bodyText;
    if (spec.contentType !== null) setHeader("Content-Type", spec.contentType);
  } else if (spec?.kind === "value") {
    const value = materialize(spec.value, known);
    const entries = Object.entries(isObject(value) ? value : { value });
    const contentType = spec.contentType === undefined ? spec.mediaType : spec.contentType;
    if (spec.mediaType === "multipart/form-data" && spec.contentType === undefined) {
      const form = new FormData();
      formFields = {};
      for (const [k, x] of entries) {
        form.append(
          k,
          x instanceof Bytes ? new File([x.bytes], "upload.bin", { type: x.type }) : scalarText(x),
        );
        // FormData holds USVStrings: a lone surrogate is U+FFFD by the time it is sent.
        formFields[k] = x instanceof Bytes ? "<binary>" : wellFormed(scalarText(x));
      }
      body = form;
    } else {
      bodyText =
        spec.mediaType === "application/x-www-form-urlencoded"
          ? new URLSearchParams(entries.map(([k, x]) => [k, scalarText(x)])).toString()
          : (JSON.stringify(value, (_k, x) => (x instanceof Bytes ? new TextDecoder().decode(x.bytes) : x)) ??
            "");
      body = bodyText;
      if (contentType !== null) setHeader("Content-Type", contentType);
    }
  }

  const signatures: Record<string, string> = {};
  for (const p of op.parameters.filter((h) => h.in === "header" && SIGNED_HEADERS.has(h.name.toLowerCase())))
    signatures[p.name.toLowerCase()] = await run.sign(p.name, bodyText);
  for (const [name, value] of req.headers) {
    if (value instanceof Known && value.name === "signature")
      setHeader(name, signatures[name.toLowerCase()] ?? "");
    else setHeader(name, scalarText(materialize(value, known)));
  }
  for (const h of req.extraHeaders) setHeader(h.name, h.value.toString(), h.append);

  // A form sent with a Content-Type of the request's own (a duplicated header) goes as the bytes
  // the runtime would have sent, under that type.
  const explicitType = Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type")?.[1];
  let impliedContentType: string | undefined;
  if (body instanceof FormData) {
    if (explicitType === undefined)
      impliedContentType = "multipart/form-data; boundary=(chosen by the runtime)";
    else {
      const bytes = new Uint8Array(await new Response(body).arrayBuffer());
      body = bytes;
      bodyText = new TextDecoder().decode(bytes);
      formFields = undefined;
    }
  }
  const parsedBody = readBody(explicitType ?? impliedContentType, bodyText, formFields);

  return {
    method: op.method,
    path: qs ? `${path}?${qs}` : path,
    headers,
    body,
    parsedBody,
    bodyBytes: new TextEncoder().encode(bodyText).length,
    impliedContentType,
    signatures,
  };
}

/** Lone surrogates as U+FFFD, as a URL parser would send them (encodeURIComponent throws on them). */
const wellFormed = (s: string) =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The body as the Worker reads it under `contentType` (undefined: a type it does not read). */
function readBody(
  contentType: string | undefined,
  text: string,
  formFields: Record<string, unknown> | undefined,
): BuiltRequest["parsedBody"] {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (/^application\/([\w.-]+\+)?json$/.test(mediaType)) {
    // Body.json() decodes UTF-8 as the Encoding standard does: a leading BOM is dropped.
    const json = text.replace(/^\ufeff/, "");
    if (json === "") return { ok: false, why: "empty" };
    try {
      return { ok: true, value: JSON.parse(json) };
    } catch {
      return { ok: false, why: "malformed" };
    }
  }
  if (mediaType === "application/x-www-form-urlencoded")
    return { ok: true, value: formObject(new URLSearchParams(text)) };
  if (mediaType === "multipart/form-data")
    return formFields ? { ok: true, value: formFields } : { ok: false, why: "unreadable" };
  return undefined;
}

/** A form as Hono reads it: one value per name, an array when the name repeats. */
function formObject(form: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(form.keys())) {
    const all = form.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

/** A parameter's text read as the value its schema types it as (query strings carry only text). */
function typedParam(text: string, schema: JsonSchema, ctx: SchemaContext): unknown {
  const types = typesOf(resolve(schema, ctx)) ?? [];
  if (
    (types.includes("integer") || types.includes("number")) &&
    /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)
  )
    return Number(text);
  if (types.includes("boolean") && (text === "true" || text === "false")) return text === "true";
  return text;
}

const tryDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export interface Expectation {
  /** Why the answer must be this. */
  why: string;
  /** The status; undefined: any 4xx. */
  status?: number;
  /** The problem's code; undefined: any stable code. */
  code?: string;
}

export interface Verdict {
  /** The concrete path still reaches this operation (an odd path parameter can lead elsewhere). */
  sameOperation: boolean;
  /** What the document says the answer must be; undefined when any declared non-5xx answer is fine. */
  expected: Expectation | undefined;
  /** Whether the document calls the request valid (then a 400 for its form is wrong). */
  valid: boolean;
}

/** What the document says of strings in any 422 description: U+0000 and lone surrogates never match. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this finds.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function unstorablePath(value: unknown, path = ""): string | undefined {
  if (typeof value === "string") return UNSTORABLE.test(value) ? path || "(the value)" : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (UNSTORABLE.test(key)) return `${path}.${key}`;
    const found = unstorablePath(item, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

export interface JudgeContext {
  schemas: SchemaContext;
  validator: SchemaValidator;
  operations: FuzzOperation[];
  /** The body limit that applies to `op` (the avatar upload has its own). */
  bodyLimit: (op: FuzzOperation) => number;
}

/**
 * Decides, from the document alone, what the answer to the concrete request must be, checking in
 * the order the Worker does: the body limit (before routing), the route, the credential (401, then
 * 403), the parameters (query, path, headers), then the body (content type, JSON, schema).
 */
export function judge(
  op: FuzzOperation,
  req: FuzzRequest,
  built: BuiltRequest,
  run: RunValues,
  ctx: JudgeContext,
): Verdict {
  const must = (expected: Expectation): Verdict => ({ sameOperation: true, valid: false, expected });
  if (built.bodyBytes > ctx.bodyLimit(op))
    return must({ why: "the body is over the size limit", status: 413, code: "payload_too_large" });
  const url = new URL(`http://localhost${built.path}`);
  const target = routeOf(ctx.operations, op.method, url.pathname);
  if (target?.name !== op.name) return { sameOperation: false, valid: false, expected: undefined };

  const header = (name: string) =>
    Object.entries(built.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

  if (op.roles) {
    const authenticated =
      ROLE_CREDENTIALS.has(req.credential) &&
      run.authorization !== undefined &&
      header("Authorization") === run.authorization;
    if (!authenticated) return must({ why: "no valid bearer token", status: 401, code: "unauthorized" });
    if (!op.roles.includes(req.credential))
      return must({
        why: `${req.credential} is not one of ${op.roles.join(", ")}`,
        status: 403,
        code: "forbidden",
      });
  }
  // A signature over the body is the credential of the routes that take one.
  // Its elements are a comma-separated list in which unknown ones are ignored (Stripe's rule), so a
  // header holds a valid signature when it holds every element of one.
  for (const p of params(op, "header").filter((h) => SIGNED_HEADERS.has(h.name.toLowerCase()))) {
    const elements = new Set((header(p.name) ?? "").split(",").map((e) => e.trim()));
    const valid = built.signatures[p.name.toLowerCase()]?.split(",").every((e) => elements.has(e.trim()));
    if (!valid) return must({ why: `no valid ${p.name}` });
  }

  // A route that declares no 422 reads its body itself: any problem with it is a 400.
  const declares422 = op.statuses.includes("422");
  const invalid = (why: string): Verdict =>
    must(declares422 ? { why, status: 422, code: "validation_failed" } : { why, status: 400 });

  // Parameters, in the order the router validates them: query, path, headers.
  const queryValues = new Map<string, string[]>();
  for (const [k, v] of url.searchParams) queryValues.set(k, [...(queryValues.get(k) ?? []), v]);
  for (const p of params(op, "query")) {
    const values = queryValues.get(p.name);
    if (!values) {
      if (p.required) return invalid(`query ${p.name} is missing`);
      continue;
    }
    const value = values.length === 1 ? typedParam(values[0] as string, p.schema, ctx.schemas) : values;
    const errors = ctx.validator.errors(p.schema, value);
    if (errors.length) return invalid(`query ${p.name}=${JSON.stringify(values).slice(0, 80)}: ${errors[0]}`);
    if (unstorablePath(value)) return invalid(`query ${p.name} holds NUL or a lone surrogate`);
  }
  const segments = url.pathname.split("/");
  const templateSegments = op.template.split("/");
  for (const p of params(op, "path")) {
    const index = templateSegments.indexOf(`{${p.name}}`);
    const text = tryDecode(segments[index] ?? "");
    // `format` only annotates (JSON Schema 2020-12): an id that is no UUID names no resource (404).
    const { format: _, ...schema } = resolve(p.schema, ctx.schemas);
    const errors = ctx.validator.errors(schema, typedParam(text, schema, ctx.schemas));
    if (errors.length) return invalid(`path ${p.name}=${JSON.stringify(text).slice(0, 80)}: ${errors[0]}`);
  }
  for (const p of params(op, "header")) {
    const text = header(p.name);
    if (text === undefined) {
      if (p.required) return invalid(`header ${p.name} is missing`);
      continue;
    }
    const errors = ctx.validator.errors(p.schema, typedParam(text, p.schema, ctx.schemas));
    if (errors.length) return invalid(`header ${p.name}=${JSON.stringify(text).slice(0, 80)}: ${errors[0]}`);
  }

  const mediaTypes = Object.keys(op.body.media);
  if (mediaTypes.length === 0) return { sameOperation: true, valid: true, expected: undefined };
  const contentType = header("Content-Type") ?? built.impliedContentType;
  const essence = contentType?.split(";")[0]?.trim().toLowerCase();
  const why = `content type ${JSON.stringify(contentType)} is not declared`;
  const wrongType: Expectation = !declares422
    ? { why, status: 400 }
    : op.statuses.includes("415")
      ? { why, status: 415, code: "unsupported_media_type" }
      : { why, status: 400, code: "invalid_content_type" };
  const sent = built.body !== undefined && built.body !== "";
  if (contentType === undefined) {
    if (sent) return must(wrongType);
    // A route that declares 415 (an upload) asks for its media type before anything else.
    if (op.body.required)
      return op.statuses.includes("415") ? must(wrongType) : invalid("the body is missing");
    return { sameOperation: true, valid: true, expected: undefined };
  }
  const mediaType = mediaTypes.find((t) => t === essence);
  if (!mediaType || contentType.includes(",")) return must(wrongType);
  const parsed = built.parsedBody;
  if (parsed && !parsed.ok && parsed.why === "unreadable")
    return must({ why: `the body cannot be read as ${mediaType}` });
  if (/json/.test(mediaType) && parsed && !parsed.ok)
    return must(
      declares422
        ? { why: `the JSON body is ${parsed.why}`, status: 400, code: "malformed_json" }
        : { why: `the JSON body is ${parsed.why}`, status: 400 },
    );
  if (parsed?.ok) {
    const errors = ctx.validator.errors(op.body.media[mediaType] ?? {}, parsed.value);
    if (errors.length) return invalid(`body: ${errors[0]}`);
    const bad = unstorablePath(parsed.value);
    if (bad) return invalid(`body ${bad} holds NUL or a lone surrogate`);
  } else if (op.body.required) {
    return invalid("the body is missing");
  }
  return { sameOperation: true, valid: true, expected: undefined };
}

/** The operation the router picks for a concrete path: literal segments win over parameters. */
export function routeOf(
  operations: FuzzOperation[],
  method: string,
  pathname: string,
): FuzzOperation | undefined {
  const candidates = operations
    .filter((o) => o.method === method)
    .filter((o) => {
      const t = o.template.split("/");
      const s = pathname.split("/");
      return (
        t.length === s.length &&
        t.every((seg, i) => (/^\{.+\}$/.test(seg) ? (s[i] ?? "") !== "" : seg === s[i]))
      );
    });
  const literals = (o: FuzzOperation) => o.template.split("/").filter((seg) => !seg.startsWith("{")).length;
  return candidates.sort((a, b) => literals(b) - literals(a))[0];
}
