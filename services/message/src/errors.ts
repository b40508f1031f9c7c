import { DomainError, type ErrorCatalogue, type ErrorCodeOf } from '@palaver/service-kit';

/** Error codes of the message service beside the common ones, and their statuses. */
export const messageErrors = {
  empty_message: 400,
  attachment_not_found: 400,
  not_a_group: 400,
  cannot_message_self: 400,
  group_full: 400,
  unknown_users: 400,
  client_message_id_reused: 409,
  message_deleted: 409,
  too_many_reactions: 409,
  blocked: 403,
  cannot_block_self: 400,
} as const satisfies ErrorCatalogue;

export class MessageError extends DomainError<ErrorCodeOf<typeof messageErrors>> {}

/** Not a member and no such conversation look the same: nobody learns what exists. */
export const conversationNotFound = () => new MessageError('not_found', 'No such conversation');
