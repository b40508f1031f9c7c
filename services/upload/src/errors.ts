import { DomainError, type ErrorCatalogue, type ErrorCodeOf } from '@palaver/service-kit';

/** Error codes of the upload service beside the common ones, and their statuses. */
export const uploadErrors = {
  no_files: 400,
  invalid_signature: 403,
  file_too_large: 413,
  too_many_files: 413,
  quota_exceeded: 413,
  unsupported_type: 415,
  range_not_satisfiable: 416,
} as const satisfies ErrorCatalogue;

export class UploadError extends DomainError<ErrorCodeOf<typeof uploadErrors>> {}

/** Not allowed and not there look the same: nobody learns which uploads exist. */
export const uploadNotFound = () => new UploadError('not_found', 'No such upload');
