import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const shared: Options = { allErrors: false, useDefaults: true, strict: false };

/**
 * Bodies are validated strictly: no type coercion and no silently dropped fields, so
 * `{"password": 12345678}` or an unexpected field is a 400 rather than a guess. Query
 * strings, params and headers arrive as text and are coerced to their declared types.
 */
export function installValidation(app: FastifyInstance) {
  const strict = addFormats(new Ajv({ ...shared, coerceTypes: false, removeAdditional: false }));
  const coercing = addFormats(new Ajv({ ...shared, coerceTypes: 'array', removeAdditional: false }));
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );
}
