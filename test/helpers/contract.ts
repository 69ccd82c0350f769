/**
 * Checks responses against the OpenAPI document the Worker serves: the status must be declared for
 * the operation, a JSON body must validate against the declared (closed) schema, and the declared
 * headers must be there with values of their schema (`X-Request-Id` on every answer, the
 * `RateLimit-*` trio whenever the limiter is on). Unknown routes must answer with a Problem. The
 * document is fetched from the Worker itself, so code and contract cannot drift apart unnoticed.
 */
import { Validator } from "@cfworker/json-schema";

type Json = Record<string, unknown>;
interface OpenApiDoc {
  paths: Record<string, Record<string, { responses: Record<string, Json> }>>;
  components: {
    schemas: Record<string, Json>;
    responses: Record<string, Json>;
    headers?: Record<string, Json>;
  };
}

/** What the caller knows about the request that the document cannot say. */
export interface CheckContext {
  /** Whether the rate limiter was on (RATE_LIMIT_ENABLED), so the RateLimit-* headers must be there. */
  rateLimited: boolean;
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const RATE_LIMIT_HEADERS = new Set(["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"]);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `/api/v1/users/{id}` → a RegExp matching concrete paths, with the literal parts escaped. */
export function templatePattern(template: string): RegExp {
  return new RegExp(
    `^${template
      .split(/\{[^}]+\}/)
      .map(escapeRegExp)
      .join("[^/]+")}$`,
  );
}

/**
 * The schema with its component refs pointing into `$defs`, and without `example`s: they are
 * annotations, and the validator would read an example's `id` member as a schema id.
 */
export const rewriteRefs = (schema: unknown): Json =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"#/$defs/'), (key, value) =>
    key === "example" || key === "examples" ? undefined : value,
  );

export class Contract {
  private readonly templates: { method: string; template: string; re: RegExp }[] = [];
  private readonly validators = new Map<string, Validator>();

  constructor(private readonly doc: OpenApiDoc) {
    for (const [template, ops] of Object.entries(doc.paths)) {
      const re = templatePattern(template);
      for (const method of Object.keys(ops)) this.templates.push({ method, template, re });
    }
    // A literal path (/users/me) wins over a template that would also match it (/users/{id}).
    const params = (t: string) => (t.match(/\{/g) ?? []).length;
    this.templates.sort((a, b) => params(a.template) - params(b.template));
  }

  private validator(key: string, schema: unknown): Validator {
    let v = this.validators.get(key);
    if (!v) {
      const root = { ...rewriteRefs(schema), $defs: rewriteRefs(this.doc.components.schemas) };
      v = new Validator(root as never, "2020-12", false);
      this.validators.set(key, v);
    }
    return v;
  }

  private resolveResponse(response: Json): Json {
    const ref = response.$ref;
    if (typeof ref === "string") {
      const name = ref.replace("#/components/responses/", "");
      const resolved = this.doc.components.responses[name];
      if (!resolved) throw new Error(`contract: dangling response $ref ${ref}`);
      return resolved;
    }
    return response;
  }

  /** Returns a list of contract violations (empty when the response honours the document). */
  check(
    method: string,
    path: string,
    status: number,
    headers: Headers,
    body: unknown,
    context: CheckContext,
  ): string[] {
    const requestId = headers.get("X-Request-Id");
    const idProblem =
      requestId && SANE_REQUEST_ID.test(requestId) ? [] : [`X-Request-Id missing or not sane: ${requestId}`];
    return [...idProblem, ...this.checkOperation(method, path, status, headers, body, context)];
  }

  private checkOperation(
    method: string,
    path: string,
    status: number,
    headers: Headers,
    body: unknown,
    context: CheckContext,
  ): string[] {
    const contentType = headers.get("Content-Type") ?? "";
    const m = method.toLowerCase();
    // The path the Worker sees: dot segments resolved, query and fragment gone.
    const pathOnly = new URL(path, "http://localhost").pathname;
    const op = this.templates.find((t) => t.method === m && t.re.test(pathOnly));
    const mediaType = contentType.split(";")[0]?.trim() ?? "";
    if (!op) {
      // Undocumented routes (docs pages, 404s, 405s) may only answer with problems or non-JSON.
      if (status >= 400)
        return this.checkBody(
          "Problem",
          { $ref: "#/components/schemas/Problem" },
          body,
          mediaType,
          "application/problem+json",
        );
      return [];
    }
    const responses = this.doc.paths[op.template]?.[m]?.responses ?? {};
    const declared = responses[String(status)] ?? responses.default;
    if (!declared) {
      return [
        `${method} ${op.template}: status ${status} is not declared (declared: ${Object.keys(responses).join(", ")})`,
      ];
    }
    const response = this.resolveResponse(declared);
    const headerProblems = this.checkHeaders(
      `${method} ${op.template} ${status}`,
      response,
      headers,
      context,
    );
    return [...headerProblems, ...this.checkContent(method, op.template, status, response, mediaType, body)];
  }

  private checkHeaders(key: string, response: Json, headers: Headers, context: CheckContext): string[] {
    const problems: string[] = [];
    for (const [name, declared] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
      const header =
        typeof declared.$ref === "string"
          ? this.doc.components.headers?.[declared.$ref.replace("#/components/headers/", "")]
          : declared;
      if (!header) {
        problems.push(`${key}: dangling header $ref ${declared.$ref}`);
        continue;
      }
      const value = headers.get(name);
      const required =
        header.required === true && (context.rateLimited || !RATE_LIMIT_HEADERS.has(name.toLowerCase()));
      if (value === null) {
        if (required) problems.push(`${key}: required header ${name} is missing`);
        continue;
      }
      const type = (header.schema as Json | undefined)?.type;
      if (type === "integer" && !/^\d+$/.test(value))
        problems.push(`${key}: header ${name}=${value} is not an integer`);
    }
    return problems;
  }

  private checkContent(
    method: string,
    template: string,
    status: number,
    response: Json,
    mediaType: string,
    body: unknown,
  ): string[] {
    const content = response.content as Record<string, { schema?: unknown }> | undefined;
    if (!content)
      return body === undefined || body === ""
        ? []
        : [`${method} ${template} ${status}: declares no body but one was sent`];
    const media = content[mediaType];
    if (!media)
      return [
        `${method} ${template} ${status}: content type ${mediaType} not declared (${Object.keys(content).join(", ")})`,
      ];
    if (!media.schema || !/json/.test(mediaType)) return [];
    return this.checkBody(
      `${method.toLowerCase()} ${template} ${status} ${mediaType}`,
      media.schema,
      body,
      mediaType,
      mediaType,
    );
  }

  private checkBody(
    key: string,
    schema: unknown,
    body: unknown,
    mediaType: string,
    expectedType: string,
  ): string[] {
    if (mediaType !== expectedType)
      return [`${key}: expected content type ${expectedType}, got ${mediaType}`];
    const result = this.validator(key, schema).validate(body);
    return result.valid ? [] : result.errors.map((e) => `${key}: ${e.instanceLocation} ${e.error}`);
  }
}
