import { describe, expect, it } from 'vitest';
import { ConfigError, duration, loadConfig, mongoUrl, port, str } from './index.ts';

const spec = { PORT: port(), NAME: str(), TTL: duration({ default: 900 }) };

describe('loadConfig', () => {
  it('returns typed values and applies defaults', () => {
    const config = loadConfig(spec, { PORT: '4001', NAME: 'auth' });
    expect(config).toMatchObject({ PORT: 4001, NAME: 'auth', TTL: 900 });
  });

  it('parses durations into seconds', () => {
    expect(loadConfig(spec, { PORT: '1', NAME: 'x', TTL: '7d' }).TTL).toBe(604800);
  });

  it('names every bad or missing variable in one line', () => {
    const load = () => loadConfig(spec, { PORT: 'abc', TTL: '5 minutes' });
    expect(load).toThrow(ConfigError);
    try {
      load();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toMatch(/PORT="abc" is invalid/);
      expect(message).toMatch(/NAME is missing/);
      expect(message).toMatch(/TTL="5 minutes" is invalid: expected a duration/);
    }
  });
});

describe('mongoUrl', () => {
  const spec = { MONGO_URL: mongoUrl() };
  it('accepts single hosts, replica sets and SRV records that name a database', () => {
    for (const value of [
      'mongodb://127.0.0.1:27017/palaver',
      'mongodb://user:pw@mongo-0.mongo:27017,mongo-1.mongo:27017,mongo-2.mongo:27017/palaver?replicaSet=rs0',
      'mongodb+srv://cluster.example.com/palaver',
    ]) {
      expect(loadConfig(spec, { MONGO_URL: value }).MONGO_URL).toBe(value);
    }
  });

  it('rejects other schemes, malformed strings and a missing database, naming the variable', () => {
    for (const value of ['http://127.0.0.1/palaver', 'mongodb://', 'mongodb://127.0.0.1:27017', 'palaver']) {
      expect(() => loadConfig(spec, { MONGO_URL: value })).toThrow(/MONGO_URL=.* is invalid/);
    }
  });
});
