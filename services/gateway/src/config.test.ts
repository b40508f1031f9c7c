import { documentedVariables } from '@palaver/testing';
import { describe, expect, it } from 'vitest';
import { gatewayConfigSpec, loadGatewayConfig } from './config.ts';

const required = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  AMQP_URL: 'amqp://127.0.0.1:5672',
  MESSAGE_URL: 'http://127.0.0.1:4002',
  JWKS_URL: 'http://127.0.0.1:4001/auth/.well-known/jwks.json',
};

describe('gateway config', () => {
  it('has defaults for everything but the addresses of its dependencies', () => {
    const config = loadGatewayConfig(required);
    expect(config).toMatchObject({ PORT: 4004, FANOUT: 'replica-queue', PRESENCE_TIMEOUT: 20 });
    expect(config).toMatchObject({ SOCKET_PING_INTERVAL: 10, SOCKET_PING_TIMEOUT: 5 });
    expect(() => loadGatewayConfig({})).toThrow(/REDIS_URL is missing/);
  });

  it('names the variable of a bad value in one line', () => {
    expect(() => loadGatewayConfig({ ...required, FANOUT: 'gossip' })).toThrow(/FANOUT="gossip" is invalid/);
    expect(() =>
      loadGatewayConfig({ ...required, PRESENCE_HEARTBEAT: '30s', PRESENCE_TIMEOUT: '10s' }),
    ).toThrow(/PRESENCE_TIMEOUT must be longer than PRESENCE_HEARTBEAT/);
    expect(() => loadGatewayConfig({ ...required, SOCKET_PING_TIMEOUT: '0s' })).toThrow(
      /SOCKET_PING_INTERVAL and SOCKET_PING_TIMEOUT must be at least 1s/,
    );
  });

  it('is documented variable for variable in the README', async () => {
    expect(await documentedVariables('README.md', '### gateway')).toEqual(
      Object.keys(gatewayConfigSpec).sort(),
    );
  });
});
