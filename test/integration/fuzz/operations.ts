/**
 * Every operation of the served OpenAPI document, as the fuzz suite needs it: parameters with
 * their schemas, request body media types and schemas, the roles it admits and its security.
 * Read from the document the Worker serves, so a route added later is fuzzed the moment it exists.
 */
import { Validator } from "@cfworker/json-schema";
import { rewriteRefs as contractRewriteRefs } from "../../helpers/contract.ts";
import type { JsonSchema, SchemaContext } from "./schema-arbitraries.ts";

export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required: boolean;
  schema: JsonSchema;
}

export interface FuzzOperation {
  /** `POST /api/v1/tasks`. */
  name: string;
  method: string;
  template: string;
  parameters: Parameter[];
  /** Declared request media types and their schemas (empty: no body declared). */
  body: { required: boolean; media: Record<string, JsonSchema> };
  /** The roles admitted (`x-required-roles`); undefined for routes that need no bearer token. */
  roles: string[] | undefined;
  /** Status codes the operation declares. */
  statuses: string[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes?: Record<string, JsonSchema> };
}

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options"]);

export function fuzzOperations(doc: OpenApiDocument): FuzzOperation[] {
  const ops: FuzzOperation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const security = (op.security ?? []) as Record<string, unknown>[];
      // Protected: a bearer token is required, not one option beside "none" (e.g. /metrics).
      const needsBearer =
        security.some((r) => "bearerAuth" in r) && !security.some((r) => Object.keys(r).length === 0);
      const content = (op.requestBody?.content ?? {}) as Record<string, { schema?: JsonSchema }>;
      // An API key in a header (the Stripe signature) is a header the request carries: fuzz it like one.
      const apiKeyHeaders = [...new Set(security.flatMap((r) => Object.keys(r)))]
        .map((name) => doc.components.securitySchemes?.[name])
        .filter((scheme) => scheme?.type === "apiKey" && scheme.in === "header")
        .map((scheme) => ({
          name: scheme?.name,
          in: "header",
          required: !security.some((r) => Object.keys(r).length === 0),
          schema: { type: "string" },
        }));
      ops.push({
        name: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        parameters: [
          ...((item.parameters ?? []) as JsonSchema[]),
          ...((op.parameters ?? []) as JsonSchema[]),
          ...apiKeyHeaders,
        ].map((p: JsonSchema) => ({
          name: String(p.name),
          in: p.in,
          required: p.in === "path" || p.required === true,
          schema: p.schema ?? {},
        })),
        body: {
          required: op.requestBody?.required === true,
          media: Object.fromEntries(Object.entries(content).map(([type, m]) => [type, m.schema ?? {}])),
        },
        roles: needsBearer ? (op["x-required-roles"] ?? ["user", "moderator", "admin"]) : undefined,
        statuses: Object.keys(op.responses ?? {}),
      });
    }
  }
  return ops;
}

/** Validates values against the document's schemas (2020-12, `$ref`s into `components.schemas`). */
export class SchemaValidator {
  private readonly cache = new Map<string, Validator>();
  private readonly defs: JsonSchema;

  constructor(readonly ctx: SchemaContext) {
    this.defs = rewriteRefs(ctx.schemas);
  }

  errors(schema: JsonSchema, value: unknown): string[] {
    const key = JSON.stringify(schema);
    let v = this.cache.get(key);
    if (!v) {
      v = new Validator({ ...rewriteRefs(schema), $defs: this.defs } as never, "2020-12", false);
      this.cache.set(key, v);
    }
    const result = v.validate(value);
    return result.valid ? [] : result.errors.map((e) => `${e.instanceLocation} ${e.error}`);
  }
}

// The contract checker's: refs to $defs, and examples dropped (an example's `id` would read as a schema id).
const rewriteRefs = (schema: unknown): JsonSchema => contractRewriteRefs(schema) as JsonSchema;
