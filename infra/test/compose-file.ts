import { type Json, parseDotenv, readText } from './support.ts';

/** What interpolating a compose file used: every variable, and those it requires (`:?`). */
export interface Interpolation {
  used: Set<string>;
  required: Set<string>;
  errors: string[];
}

const namePattern = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Compose's variable interpolation (`$$`, `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+other}`, `${VAR+other}`, nested
 * in defaults), applied to every string value as `docker compose` does before validating.
 */
export function interpolate(value: unknown, env: Map<string, string>, seen: Interpolation): unknown {
  if (typeof value === 'string') return interpolateString(value, env, seen);
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env, seen));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, env, seen)]),
    );
  }
  return value;
}

function interpolateString(text: string, env: Map<string, string>, seen: Interpolation): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char !== '$') {
      out += char;
      i += 1;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      let depth = 1;
      let end = i + 2;
      while (end < text.length && depth > 0) {
        if (text[end] === '{') depth += 1;
        if (text[end] === '}') depth -= 1;
        end += 1;
      }
      if (depth > 0) {
        seen.errors.push(`unclosed \${ in ${JSON.stringify(text)}`);
        return out + text.slice(i);
      }
      out += substitute(text.slice(i + 2, end - 1), env, seen);
      i = end;
    } else {
      const name = namePattern.exec(text.slice(i + 1))?.[0];
      if (!name) {
        seen.errors.push(`stray $ in ${JSON.stringify(text)}`);
        out += '$';
        i += 1;
        continue;
      }
      seen.used.add(name);
      out += env.get(name) ?? '';
      i += 1 + name.length;
    }
  }
  return out;
}

function substitute(body: string, env: Map<string, string>, seen: Interpolation): string {
  const name = namePattern.exec(body)?.[0];
  if (!name) {
    seen.errors.push(`bad variable \${${body}}`);
    return '';
  }
  seen.used.add(name);
  const rest = body.slice(name.length);
  const value = env.get(name);
  if (rest === '') return value ?? '';
  const operator = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (!operator) {
    seen.errors.push(`bad variable \${${body}}`);
    return '';
  }
  const word = () => interpolateString(rest.slice(operator.length), env, seen);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (operator) {
    case ':-':
      return nonEmpty ? value : word();
    case '-':
      return set ? value : word();
    case ':?':
    case '?':
      seen.required.add(name);
      if (operator === ':?' ? nonEmpty : set) return value as string;
      seen.errors.push(`required variable ${name} is missing: ${word()}`);
      return '';
    case ':+':
      return nonEmpty ? word() : '';
    default:
      return set ? word() : '';
  }
}

/** docker-compose.yml as compose sees it with the variables of .env.example. */
export function loadCompose(raw: Json, envFile = readText('.env.example')) {
  const env = parseDotenv(envFile);
  const seen: Interpolation = { used: new Set(), required: new Set(), errors: [] };
  const config = interpolate(raw, env, seen) as Json;
  return { config, env, seen };
}

/** A service's environment as a map, from either the mapping or the KEY=value list form. */
export function environmentOf(service: Json): Record<string, string> {
  const environment = service.environment;
  if (!environment) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry: string) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(environment as Json).map(([key, value]) => [key, value == null ? '' : String(value)]),
  );
}
