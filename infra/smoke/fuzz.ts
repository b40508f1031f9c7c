import { type ClientEventName, ClientEventPayloads } from '@palaver/contracts';
import fc from 'fast-check';
import type { Socket } from 'socket.io-client';

/**
 * Bounded property-based fuzzing of the public surface: every operation of the OpenAPI
 * documents and every socket event, with inputs drawn from each schema and then broken in
 * the ways an attacker or a buggy client would (wrong types, control characters, operator
 * objects, oversize, unknown fields, odd unicode). The property is the contract every
 * answer keeps: never a 5xx, and every 4xx in the one error shape.
 */

/** The parts of a JSON schema (as TypeBox and fastify-swagger write them) fuzzing reads. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
  patternProperties?: Record<string, JsonSchema>;
}

export interface Operation {
  method: string;
  /** With `{name}` placeholders. */
  path: string;
  params: Array<{ name: string; in: 'path' | 'query'; schema: JsonSchema }>;
  body?: JsonSchema;
}

/** Strings that have broken query builders, parsers and renderers somewhere. */
const hostileStrings = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[31m',
  '\r\nSet-Cookie: x=1',
  '\u202e\u2066evil',
  '👋🏽‍🚀',
  '中文字符',
  'عربى',
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  '$gt',
  '{"$gt":""}',
  '.*',
  '(a+)+$',
  '\\',
  "'; DROP TABLE users; --",
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'x'.repeat(5000),
  '0123456789abcdef0123456',
  'ffffffffffffffffffffffff',
];

const hostileValues: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    ...hostileStrings,
    null,
    true,
    0,
    -1,
    1e308,
    -0,
    2 ** 53 + 1,
    [],
    {},
    { $gt: '' },
    { $ne: null },
    { $where: 'sleep(1000)' },
    JSON.parse('{"__proto__":{"admin":true}}'),
    [[[[[[]]]]]],
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
);

const objectId = fc.stringMatching(/^[0-9a-f]{24}$/);

/** A value the schema accepts, as far as this small reading of JSON schema goes. */
function valid(schema: JsonSchema, known: Record<string, string[]>, name = ''): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices) return fc.oneof(...choices.map((choice) => valid(choice, known, name)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      const pool = known[name];
      if (schema.pattern === '^[0-9a-f]{24}$')
        return pool?.length ? fc.oneof(fc.constantFrom(...pool), objectId) : objectId;
      const text = fc.string({
        minLength: schema.minLength ?? 0,
        maxLength: Math.min(schema.maxLength ?? 64, 64),
      });
      if (!schema.pattern) return text;
      const maxLength = schema.maxLength ?? 64;
      try {
        return fc
          .stringMatching(new RegExp(schema.pattern), { size: 'small' })
          .filter((s) => s.length <= maxLength && s.length >= (schema.minLength ?? 0));
      } catch {
        return text; // a pattern fast-check cannot generate from: plain text, mostly refused
      }
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -10, max: schema.maximum ?? 10_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -10, max: schema.maximum ?? 10_000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(schema.items ? valid(schema.items, known, name) : hostileValues, {
        maxLength: Math.min(schema.maxItems ?? 5, 5),
      });
    case 'object': {
      if (schema.patternProperties) {
        const [[, value] = ['', {}]] = Object.entries(schema.patternProperties);
        return fc.dictionary(objectId, valid(value, known), { maxKeys: 4 });
      }
      const properties = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      return fc.record(
        Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, valid(value, known, key)])),
        { requiredKeys: [...required].filter((key) => key in properties) },
      );
    }
    default:
      return hostileValues;
  }
}

/** Mostly valid, then broken: one field made hostile, a required one dropped, an extra one added. */
export function inputFor(schema: JsonSchema, known: Record<string, string[]>): fc.Arbitrary<unknown> {
  const base = valid(schema, known);
  const broken = fc
    .tuple(base, hostileValues, fc.constantFrom('replace', 'drop', 'extra', 'whole'), fc.nat())
    .map(([value, hostile, how, pick]) => {
      if (how === 'whole' || value === null || typeof value !== 'object' || Array.isArray(value))
        return hostile;
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      const keys = Object.keys(copy);
      const key = keys[pick % Math.max(1, keys.length)];
      if (how === 'extra' || key === undefined)
        copy[hostileStrings[pick % hostileStrings.length] || 'extra'] = hostile;
      else if (how === 'drop') delete copy[key];
      else copy[key] = hostile;
      return copy;
    });
  return fc.oneof({ arbitrary: base, weight: 1 }, { arbitrary: broken, weight: 3 });
}

/** Every operation of an OpenAPI 3 document, with its parameters and JSON body schema. */
export function operationsOf(document: {
  paths: Record<string, Record<string, { parameters?: unknown[]; requestBody?: unknown }>>;
}): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const params = ((operation.parameters ?? []) as Operation['params']).filter(
        (p) => p.in === 'path' || p.in === 'query',
      );
      const body = (
        operation.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined
      )?.content?.['application/json']?.schema;
      operations.push({ method: method.toUpperCase(), path, params, ...(body ? { body } : {}) });
    }
  }
  return operations;
}

export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Requests for one operation: parameters and body from `inputFor`, a token or not, raw bodies too. */
export function requestsFor(
  operation: Operation,
  options: { prefix: string; tokens: string[]; known: Record<string, string[]> },
): fc.Arbitrary<HttpRequest> {
  const param = (schema: JsonSchema, name: string) =>
    fc.oneof(
      { arbitrary: valid(schema, options.known, name), weight: 2 },
      { arbitrary: fc.constantFrom<unknown>(...hostileStrings, -1, 1e21), weight: 1 },
    );
  const pathParams = operation.params.filter((p) => p.in === 'path');
  const queryParams = operation.params.filter((p) => p.in === 'query');
  const hasBody = !['GET', 'HEAD', 'DELETE'].includes(operation.method);
  const rawBodies = fc.constantFrom(
    '',
    '{',
    '[]',
    'null',
    '"x"',
    `{"a":${'['.repeat(2000)}`,
    '{"__proto__":{"x":1}}',
  );
  return fc
    .record({
      path: fc.tuple(...pathParams.map((p) => param(p.schema, p.name))),
      query: fc.tuple(...queryParams.map((p) => fc.option(param(p.schema, p.name), { nil: undefined }))),
      extraQuery: fc.option(fc.constantFrom('q[$gt]=', '__proto__[x]=1', 'limit=1&limit=2', 'x=%00'), {
        nil: undefined,
      }),
      token: fc.oneof(
        { arbitrary: fc.constantFrom(...options.tokens), weight: 6 },
        { arbitrary: fc.constantFrom('', 'garbage', 'e30.e30.', `${options.tokens[0]}x`), weight: 1 },
      ),
      body: hasBody
        ? fc.oneof(
            {
              arbitrary: (operation.body ? inputFor(operation.body, options.known) : hostileValues).map(
                (v) => JSON.stringify(v) ?? 'null',
              ),
              weight: 5,
            },
            { arbitrary: rawBodies, weight: 1 },
          )
        : fc.constant(undefined),
    })
    .map(({ path, query, extraQuery, token, body }) => {
      let concrete = operation.path;
      pathParams.forEach((p, i) => {
        concrete = concrete.replace(`{${p.name}}`, encodeURIComponent(String(path[i])));
      });
      const search = new URLSearchParams();
      queryParams.forEach((p, i) => {
        if (query[i] !== undefined)
          search.set(p.name, typeof query[i] === 'string' ? query[i] : JSON.stringify(query[i]));
      });
      const qs = [search.toString(), extraQuery].filter(Boolean).join('&');
      return {
        method: operation.method,
        path: `${options.prefix}${concrete}${qs ? `?${qs}` : ''}`,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body } : {}),
      };
    });
}

/** What every answer must be: no 5xx, and a 4xx in the error shape. Returns a complaint or null. */
export function checkAnswer(status: number, contentType: string | null, text: string): string | null {
  if (status >= 500) return `answered ${status}: ${text.slice(0, 200)}`;
  if (status < 400) return null;
  if (!contentType?.includes('application/json')) return `${status} is not JSON (${contentType})`;
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    return `${status} body is not JSON: ${text.slice(0, 120)}`;
  }
  if (typeof body.error?.code !== 'string' || typeof body.error?.message !== 'string') {
    return `${status} body lacks {error: {code, message}}: ${text.slice(0, 120)}`;
  }
  return null;
}

/** Socket events: every catalogue event with fuzzed payloads, unknown and prototype names too. */
export function socketEvents(
  known: Record<string, string[]>,
): fc.Arbitrary<{ event: string; payload: unknown }> {
  const names = Object.keys(ClientEventPayloads) as ClientEventName[];
  const catalogue = fc
    .constantFrom(...names)
    .chain((event) =>
      inputFor(ClientEventPayloads[event] as JsonSchema, known).map((payload) => ({ event, payload })),
    );
  const strange = fc
    .tuple(
      fc.constantFrom(
        'toString',
        '__proto__',
        'constructor',
        'hasOwnProperty',
        'valueOf',
        'nope',
        'message:*',
        '',
      ),
      hostileValues,
    )
    .map(([event, payload]) => ({ event, payload }));
  return fc.oneof({ arbitrary: catalogue, weight: 4 }, { arbitrary: strange, weight: 1 });
}

/** Emits with an ack; a complaint unless the ack is `{ok: true, …}` or `{ok: false, error: {code, message}}` other than `internal`. */
export async function checkSocketEvent(
  socket: Socket,
  event: string,
  payload: unknown,
): Promise<string | null> {
  let ack: { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  try {
    ack = await socket.timeout(10_000).emitWithAck(event, payload);
  } catch {
    return `no ack for ${event} within 10 s`;
  }
  if (ack?.ok === true) return null;
  if (ack?.ok !== false || typeof ack.error?.code !== 'string' || typeof ack.error?.message !== 'string') {
    return `${event}: malformed ack ${JSON.stringify(ack).slice(0, 120)}`;
  }
  if (ack.error.code === 'internal')
    return `${event}: internal error for ${JSON.stringify(payload).slice(0, 120)}`;
  return null;
}
