/** What these checks need of a mongoose connection (or a driver `Db`). */
interface ExplainCursor {
  sort(sort: Record<string, 1 | -1>): ExplainCursor;
  limit(limit: number): ExplainCursor;
  explain(verbosity: 'queryPlanner'): Promise<unknown>;
}
export interface ExplainableStore {
  db?: { admin(): { command(command: object): Promise<unknown> } };
  collection(name: string): { find(filter: Record<string, unknown>): ExplainCursor };
}

/** A hot query as the services send it: one collection, a filter, maybe a sort and limit. */
export interface HotQuery {
  collection: string;
  filter: Record<string, unknown>;
  sort?: Record<string, 1 | -1>;
  limit?: number;
}

/**
 * Why `explain()` cannot be checked on this server, or null when it can: FerretDB answers
 * explain with its own SQL plans, so only a real mongod tells index walks from scans.
 */
export async function whyNoIndexWalks(connection: ExplainableStore): Promise<string | null> {
  const info = (await connection.db?.admin().command({ buildInfo: 1 })) as
    | { ferretdbVersion?: string }
    | undefined;
  if (info?.ferretdbVersion) {
    return `the store is FerretDB ${info.ferretdbVersion}, not MongoDB: give a mongod with MONGO_URL (or PALAVER_TEST_MONGO_URL) to check index walks`;
  }
  return null;
}

const stagesOf = (plan: unknown): string[] => {
  if (!plan || typeof plan !== 'object') return [];
  const node = plan as { stage?: string; inputStage?: unknown; inputStages?: unknown[] };
  return [
    ...(node.stage ? [node.stage] : []),
    ...stagesOf(node.inputStage),
    ...(node.inputStages ?? []).flatMap(stagesOf),
  ];
};

/** The plan stages of each query whose winning plan scans a collection (none means all walk an index). */
export async function collectionScans(connection: ExplainableStore, queries: HotQuery[]) {
  const scans: Array<{ query: HotQuery; stages: string[] }> = [];
  for (const query of queries) {
    let cursor: ExplainCursor = connection.collection(query.collection).find(query.filter);
    if (query.sort) cursor = cursor.sort(query.sort);
    if (query.limit) cursor = cursor.limit(query.limit);
    const explained = (await cursor.explain('queryPlanner')) as { queryPlanner?: { winningPlan?: unknown } };
    const stages = stagesOf(explained.queryPlanner?.winningPlan);
    const walks = stages.some((stage) => /IXSCAN|IDHACK|EXPRESS/.test(stage));
    if (stages.includes('COLLSCAN') || !walks) scans.push({ query, stages });
  }
  return scans;
}
