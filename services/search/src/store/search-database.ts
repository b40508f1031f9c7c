import postgres, { type Sql } from 'postgres';

/**
 * The connection pool of the index. Every query is planned with its own values
 * (`plan_cache_mode = force_custom_plan`): a generic plan cannot know how selective a LIKE
 * pattern or a set of conversations is, and at a million rows it picked plans 30× slower
 * (docs/benchmarks/search.md).
 */
export function connectSearchDatabase(
  url: string,
  options: { max: number; statementTimeoutMs?: number },
): Sql {
  return postgres(url, {
    max: options.max,
    connect_timeout: 5,
    onnotice: () => undefined,
    connection: {
      application_name: 'palaver-search',
      plan_cache_mode: 'force_custom_plan',
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    },
  });
}
