import { DomainError } from '@palaver/service-kit';

/**
 * Codes the gateway itself answers with in socket acks and handshake refusals, beside the
 * ones it passes on from the message service. The same codes as over HTTP, so a client
 * handles one vocabulary.
 */
export type GatewayErrorCode =
  | 'invalid_request'
  | 'unknown_event'
  | 'rate_limited'
  | 'forbidden'
  | 'not_found'
  | 'unauthorized'
  | 'unavailable'
  | 'internal';

export class GatewayError extends DomainError<GatewayErrorCode> {}

export const tooManyEvents = () =>
  new GatewayError('rate_limited', 'Too many events on this connection; slow down and retry');
