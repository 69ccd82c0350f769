/**
 * fast-check arbitraries from the JSON Schemas of the served OpenAPI 3.1 document: `validValue`
 * draws values the schema admits, `invalidValue` values built to break it (wrong types, missing
 * and extra fields, out-of-range, non-integer and boundary numbers, unknown enum members, too
 * short, too long and huge strings, broken formats). No maintained library does this for
 * fast-check 4 and JSON Schema 2020-12 (see docs/decisions.md), so this is the small converter.
 *
 * Whether a drawn value really is valid is never assumed: the suite validates every concrete
 * request against the document before it decides what the answer must be.
 */
import fc from "fast-check";

export type JsonSchema = Record<string, any>;

/**
 * A value only known when a run starts (the caller's id, password, a live refresh token, ...),
 * drawn as a placeholder and filled in by the suite. Seeding generators with such values is what
 * lets a run get past "unknown user" and "wrong password" to the code behind them.
 */
export class Known {
  constructor(readonly name: KnownName) {}
  [fc.toStringMethod]() {
    return `known(${this.name})`;
  }
}

export const KNOWN = {
  uuid: ["caller.id", "caller.session_id", "bystander.id"],
  email: ["caller.email", "bystander.email"],
  string: [
    "caller.username",
    "caller.email",
    "caller.password",
    "caller.refresh_token",
    "caller.verify_token",
    "caller.reset_token",
    "bystander.username",
    "credit_pack",
  ],
  binary: ["image.png", "image.jpeg", "image.gif", "image.webp"],
  /** A signed header's valid value, computed over the body when the request is built. */
  signature: ["signature"],
} as const;
export type KnownName = (typeof KNOWN)[keyof typeof KNOWN][number];

/** Bytes for a `format: binary` field (sent as a file part). */
export class Bytes {
  constructor(
    readonly bytes: Uint8Array,
    readonly type = "application/octet-stream",
  ) {}
  [fc.toStringMethod]() {
    return `Bytes(${this.bytes.length}, ${this.type})`;
  }
}

/** Strings that have broken parsers, databases and loggers before. */
export const ODD_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\u0001\u0007\b\f\v\u001b",
  "\r\n",
  "\t",
  "\ud800",
  "\udfff",
  "a\ud83d",
  "\u202eevil",
  "\u200b",
  "\ufeff",
  "e\u0301",
  "👩‍👩‍👧‍👦",
  "𝔥𝔢𝔩𝔩𝔬",
  "İı",
  "ß",
  "\u0085\u2028\u2029",
  "\\",
  "'",
  '"',
  "%",
  "%00",
  "%zz",
  "../..",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder is the odd input here.
  "${x}",
  "<script>",
  "null",
  "NaN",
  "-1",
  "1e999",
  "[]",
  "{}",
  "💩".repeat(64),
] as const;

export interface SchemaContext {
  /** `components.schemas` of the document ($ref targets). */
  schemas: Record<string, JsonSchema>;
}

const MAX_DEPTH = 4;
/** Generated strings stay short unless a mutation asks for size; the limits are tested at their edges. */
const SHORT = 24;

export function resolve(schema: JsonSchema, ctx: SchemaContext): JsonSchema {
  let s = schema;
  for (let hops = 0; typeof s?.$ref === "string"; hops++) {
    if (hops > 20) throw new Error(`$ref cycle at ${s.$ref}`);
    const name = String(s.$ref).replace("#/components/schemas/", "");
    const target = ctx.schemas[name];
    if (!target) throw new Error(`dangling $ref ${s.$ref}`);
    // Sibling keywords next to a $ref (3.1 allows them) refine the target.
    const { $ref: _, ...rest } = s;
    s = { ...target, ...rest };
  }
  return s ?? {};
}

export function typesOf(schema: JsonSchema): string[] | undefined {
  if (typeof schema.type === "string") return [schema.type];
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.properties || schema.required) return ["object"];
  if (schema.items) return ["array"];
  return undefined;
}

const known = (names: readonly KnownName[]) => fc.constantFrom(...names.map((n) => new Known(n)));

/** Any JSON value, shallow. */
export const anyJson = (depth = 2): fc.Arbitrary<unknown> => fc.jsonValue({ maxDepth: depth });

/** Values the schema admits (with known run values mixed in where a format or a string fits). */
export function validValue(schema: JsonSchema, ctx: SchemaContext, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, ctx);
  if ("const" in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  const alternatives = s.oneOf ?? s.anyOf;
  if (Array.isArray(alternatives))
    return fc.oneof(...alternatives.map((a: JsonSchema) => validValue(a, ctx, depth + 1)));
  if (Array.isArray(s.allOf))
    return validValue(Object.assign({}, ...s.allOf.map((a: JsonSchema) => resolve(a, ctx))), ctx, depth);
  const types = typesOf(s);
  if (!types) return anyJson(depth >= MAX_DEPTH ? 0 : 2);
  return fc.oneof(...types.map((t) => validOfType(t, s, ctx, depth)));
}

function validOfType(type: string, s: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer": {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -(2 ** 31));
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 2 ** 31 - 1);
      return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max));
    }
    case "number": {
      const min = s.minimum ?? -1e9;
      const max = s.maximum ?? 1e9;
      return fc.oneof(
        fc.integer({ min: Math.ceil(Math.max(min, -1e9)), max: Math.floor(Math.min(max, 1e9)) }),
        fc.double({ min, max, noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom(min, max, 0, -0, Number.MIN_VALUE),
      );
    }
    case "string":
      return validString(s);
    case "array": {
      const minLength = s.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(s.maxItems ?? 4, 4));
      return fc.array(depth >= MAX_DEPTH ? anyJson(0) : validValue(s.items ?? {}, ctx, depth + 1), {
        minLength,
        maxLength,
      });
    }
    case "object":
      return validObject(s, ctx, depth);
    default:
      return anyJson(1);
  }
}

function lengthOk(s: JsonSchema) {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? Number.POSITIVE_INFINITY;
  // JSON Schema counts code points, not UTF-16 units.
  return (v: string) => {
    const n = [...v].length;
    return n >= min && n <= max;
  };
}

function validString(s: JsonSchema): fc.Arbitrary<unknown> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? SHORT, minLength + SHORT));
  const fits = lengthOk(s);
  switch (s.format) {
    case "uuid":
      return fc.oneof(known(KNOWN.uuid), fc.uuid());
    case "email":
      return fc.oneof(
        { weight: 2, arbitrary: known(KNOWN.email) },
        {
          weight: 3,
          arbitrary: fc.stringMatching(/^[a-z0-9]{1,12}(\.[a-z0-9]{1,8})?@[a-z0-9]{1,10}\.(com|org|io)$/),
        },
        { weight: 1, arbitrary: fc.emailAddress({ size: "small" }).filter(fits) },
      );
    case "binary":
      return fc.oneof(
        known(KNOWN.binary),
        fc.uint8Array({ maxLength: 64 }).map((b) => new Bytes(b)),
      );
    case "date-time":
      return fc
        .date({
          min: new Date("2000-01-01T00:00:00Z"),
          max: new Date("2100-01-01T00:00:00Z"),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString());
  }
  if (typeof s.pattern === "string")
    return fc.stringMatching(new RegExp(s.pattern, "u"), { size: "small" }).filter(fits);
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", minLength, maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", minLength, maxLength }) },
    // Ids too: a path id is often a plain string (a malformed one is 404, not 422).
    { weight: 2, arbitrary: known([...KNOWN.string, ...KNOWN.uuid]) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_STRINGS).filter(fits) },
  );
}

function validObject(s: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<unknown> {
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  const names = Object.keys(properties);
  if (names.length === 0) {
    if (s.additionalProperties === false) return fc.constant({});
    const values = typeof s.additionalProperties === "object" ? s.additionalProperties : {};
    return fc.dictionary(fc.string({ maxLength: 8 }), validValue(values, ctx, depth + 1), { maxKeys: 4 });
  }
  const model = Object.fromEntries(names.map((n) => [n, validValue(properties[n] ?? {}, ctx, depth + 1)]));
  const required = (s.required ?? []) as string[];
  const onlyRequired = Object.fromEntries(Object.entries(model).filter(([n]) => required.includes(n)));
  // Optional members each come half the time; a third of draws send only the required ones.
  return fc.oneof(
    { weight: 2, arbitrary: fc.record(model, { requiredKeys: required }) },
    { weight: 1, arbitrary: fc.record(onlyRequired) },
  );
}

/**
 * Values built to break the schema. Each branch targets one rule, so a failure names what broke;
 * some draws still happen to be valid (an open object, a union), which the suite finds out itself.
 */
export function invalidValue(schema: JsonSchema, ctx: SchemaContext, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, ctx);
  const branches: fc.Arbitrary<unknown>[] = [wrongType(s)];
  if (Array.isArray(s.enum)) branches.push(unknownEnumMember(s.enum));
  const alternatives = s.oneOf ?? s.anyOf;
  if (Array.isArray(alternatives) && depth < MAX_DEPTH)
    branches.push(...alternatives.map((a: JsonSchema) => invalidValue(a, ctx, depth + 1)));
  for (const type of typesOf(s) ?? []) {
    if (type === "string" && !s.enum) branches.push(...invalidStrings(s));
    if (type === "integer" || type === "number") branches.push(...invalidNumbers(s, type));
    if (type === "array") branches.push(...invalidArrays(s, ctx, depth));
    if (type === "object") branches.push(...invalidObjects(s, ctx, depth));
  }
  return fc.oneof(...branches);
}

/** A value of a JSON type the schema does not list. */
function wrongType(s: JsonSchema): fc.Arbitrary<unknown> {
  const types = new Set(typesOf(s) ?? []);
  const candidates: [string, fc.Arbitrary<unknown>][] = [
    ["string", fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("1", "true", "null", "[]"))],
    ["integer", fc.integer()],
    ["number", fc.constantFrom(1.5, -0.000001, 1e308)],
    ["boolean", fc.boolean()],
    ["null", fc.constant(null)],
    ["array", fc.array(fc.integer(), { maxLength: 2 })],
    ["object", fc.constantFrom({}, { a: 1 })],
  ];
  const others = candidates.filter(([t]) => !types.has(t) && !(t === "integer" && types.has("number")));
  return fc.oneof(...(others.length ? others : candidates).map(([, a]) => a));
}

function unknownEnumMember(members: unknown[]): fc.Arbitrary<unknown> {
  const strings = members.filter((m): m is string => typeof m === "string");
  return fc
    .oneof(
      fc.constantFrom(
        ...strings.flatMap((m) => [m.toUpperCase(), `${m} `, ` ${m}`, `${m}\u0000`, m.slice(0, -1), `${m}s`]),
        "",
        "unknown",
      ),
      fc.string({ minLength: 1, maxLength: 12 }),
    )
    .filter((v) => !members.includes(v));
}

function invalidStrings(s: JsonSchema): fc.Arbitrary<unknown>[] {
  const out: fc.Arbitrary<unknown>[] = [];
  const min = s.minLength ?? 0;
  if (min > 0) out.push(fc.string({ maxLength: min - 1 }));
  if (s.maxLength !== undefined)
    out.push(
      fc.oneof(
        fc.string({ minLength: s.maxLength + 1, maxLength: s.maxLength + 8 }),
        fc.constant("𝔥".repeat(s.maxLength + 1)),
      ),
    );
  // Huge: far beyond any declared limit, yet under the body limit (that one has its own mutation).
  out.push(fc.constantFrom(100_000, 500_000).map((n) => "x".repeat(n)));
  if (typeof s.pattern === "string") {
    const re = new RegExp(s.pattern, "u");
    out.push(fc.constantFrom(...ODD_STRINGS, "a b", "a-b", "ab\u00e9").filter((v) => !re.test(v)));
  }
  if (s.format === "uuid")
    out.push(
      fc.constantFrom(
        "not-a-uuid",
        "00000000-0000-0000-0000-00000000000g",
        "{00000000-0000-0000-0000-000000000000}",
      ),
    );
  if (s.format === "email")
    out.push(fc.constantFrom("plainaddress", "a@", "@b.c", "a@b@c.d", "a b@c.d", "a@b.c\u0000", "ä@.de"));
  return out;
}

function invalidNumbers(s: JsonSchema, type: string): fc.Arbitrary<unknown>[] {
  const out: fc.Arbitrary<unknown>[] = [
    fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, -(2 ** 53) - 2),
    // Numbers sent as strings.
    fc.integer({ min: -5, max: 5 }).map(String),
  ];
  if (type === "integer") out.push(fc.constantFrom(0.5, 1.5, -2.25, 1e-7, 99.999));
  if (s.minimum !== undefined) out.push(fc.constantFrom(s.minimum - 1, s.minimum - 0.5, s.minimum - 1e6));
  if (s.maximum !== undefined) out.push(fc.constantFrom(s.maximum + 1, s.maximum + 0.5, s.maximum * 10 + 1));
  return out;
}

function invalidArrays(s: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<unknown>[] {
  const out: fc.Arbitrary<unknown>[] = [];
  if (s.maxItems !== undefined) out.push(fc.constant(Array.from({ length: s.maxItems + 1 }, () => 0)));
  if (s.items && depth < MAX_DEPTH)
    out.push(fc.array(invalidValue(s.items, ctx, depth + 1), { minLength: 1, maxLength: 2 }));
  return out;
}

function invalidObjects(s: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<unknown>[] {
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = (s.required ?? []) as string[];
  const base = validObject(s, ctx, depth) as fc.Arbitrary<Record<string, unknown>>;
  const out: fc.Arbitrary<unknown>[] = [];
  if (required.length)
    out.push(
      fc.tuple(base, fc.constantFrom(...required)).map(([value, name]) => {
        const { [name]: _, ...rest } = value;
        return rest;
      }),
    );
  out.push(
    fc
      .tuple(
        base,
        fc.constantFrom("role", "is_superuser", "id", "__proto__", "constructor", "", "x".repeat(300)),
        anyJson(1),
      )
      .map(([value, name, extra]) => ({ ...value, [name]: extra })),
  );
  const names = Object.keys(properties);
  if (names.length && depth < MAX_DEPTH)
    out.push(
      fc
        .tuple(base, fc.constantFrom(...names))
        .chain(([value, name]) =>
          invalidValue(properties[name] ?? {}, ctx, depth + 1).map((bad) => ({ ...value, [name]: bad })),
        ),
    );
  return out;
}
