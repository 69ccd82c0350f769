/**
 * Checks responses against the OpenAPI document the Worker serves: the status must be declared for
 * the operation and a JSON body must validate against the declared schema. Unknown routes must
 * answer with a Problem. The document is fetched from the Worker itself, so code and contract
 * cannot drift apart unnoticed.
 */
import { Validator } from "@cfworker/json-schema";

type Json = Record<string, unknown>;
interface OpenApiDoc {
  paths: Record<string, Record<string, { responses: Record<string, Json> }>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json> };
}

const rewriteRefs = (schema: unknown): Json =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"#/$defs/'));

export class Contract {
  private readonly templates: { method: string; template: string; re: RegExp }[] = [];
  private readonly validators = new Map<string, Validator>();

  constructor(private readonly doc: OpenApiDoc) {
    for (const [template, ops] of Object.entries(doc.paths)) {
      const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
      for (const method of Object.keys(ops)) this.templates.push({ method, template, re });
    }
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
  check(method: string, path: string, status: number, contentType: string, body: unknown): string[] {
    const m = method.toLowerCase();
    const pathOnly = path.split("?")[0] ?? path;
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
    const content = response.content as Record<string, { schema?: unknown }> | undefined;
    if (!content)
      return body === undefined || body === ""
        ? []
        : [`${method} ${op.template} ${status}: declares no body but one was sent`];
    const media = content[mediaType];
    if (!media)
      return [
        `${method} ${op.template} ${status}: content type ${mediaType} not declared (${Object.keys(content).join(", ")})`,
      ];
    if (!media.schema || !/json/.test(mediaType)) return [];
    return this.checkBody(
      `${m} ${op.template} ${status} ${mediaType}`,
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
