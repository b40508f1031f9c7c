import { FormatRegistry } from '@sinclair/typebox';

/** RFC 3339 date-time with a time zone, e.g. `2026-11-25T17:00:00.000Z`. */
const dateTimePattern =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export const isDateTime = (value: string) => dateTimePattern.test(value) && !Number.isNaN(Date.parse(value));

/**
 * Teaches TypeBox's own checkers (`TypeCompiler`, `Value`) the string formats the schemas
 * use (`date-time`): without it they refuse every value of such a format. Fastify's Ajv
 * knows them already. Idempotent; call it before checking a schema that holds `IsoDateTime`.
 */
export function registerFormats(): void {
  if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isDateTime);
}
