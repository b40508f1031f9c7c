import { DomainError, type ErrorCatalogue, type ErrorCodeOf } from '@palaver/service-kit';

/** Error codes of the search service beside the common ones, and their statuses. */
export const searchErrors = {
  /** The query has no letter, digit or symbol to look for (only spaces or punctuation such as `%`). */
  empty_query: 400,
  too_many_terms: 400,
  /** Only words of 1–2 Latin letters or digits, which no index finds. */
  query_too_short: 400,
} as const satisfies ErrorCatalogue;

export class SearchError extends DomainError<ErrorCodeOf<typeof searchErrors>> {}
