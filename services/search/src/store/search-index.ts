import type { Message } from '@palaver/contracts';
import type { Sql } from 'postgres';
import { likeLiteral, normalizeText, type SearchTerm, shortGramsOf } from '../domain/search-text.ts';
import { SearchError } from '../errors.ts';

/*
 * The search index: one row per message, owned by this service alone and fed by message
 * events. `norm` (the normalized body) carries a pg_trgm GIN index for terms of three or more
 * word characters, `grams` (characters outside ASCII and pairs with one, each keyed by its
 * conversation, so a lookup reads only the caller's conversations' entries) a GIN index for
 * shorter CJK, Arabic and emoji terms; every term is then checked exactly with LIKE on
 * `norm`. A deleted message keeps its row, emptied, so a late `message.created` cannot bring
 * it back.
 */
export const tableSchema = [
  'CREATE EXTENSION IF NOT EXISTS pg_trgm',
  `CREATE TABLE IF NOT EXISTS search_messages (
     message_id text PRIMARY KEY,
     conversation_id text NOT NULL,
     sender_id text NOT NULL,
     seq integer NOT NULL,
     created_at timestamptz NOT NULL,
     edited_at timestamptz,
     deleted_at timestamptz,
     body text NOT NULL,
     norm text NOT NULL,
     grams text[] NOT NULL
   )`,
];
/** Apart from the table, so a bulk load can build them after the rows are in. */
export const indexSchema = [
  'CREATE INDEX IF NOT EXISTS search_messages_norm_trgm ON search_messages USING gin (norm gin_trgm_ops)',
  'CREATE INDEX IF NOT EXISTS search_messages_grams ON search_messages USING gin (grams)',
  'CREATE INDEX IF NOT EXISTS search_messages_conversation ON search_messages (conversation_id, created_at DESC)',
];

/**
 * A short gram keyed by the conversation it occurs in: the most common Chinese character is
 * in a good part of all messages, but few of those are the caller's. The last 12 hex digits
 * of the id (random and counter); a collision only adds candidates, which the conversation
 * filter and LIKE drop.
 */
const gramKey = (conversationId: string, gram: string) => `${conversationId.slice(-12)}${gram}`;
export const gramKeysOf = (conversationId: string, norm: string) =>
  shortGramsOf(norm).map((gram) => gramKey(conversationId, gram));

/** The row a message state becomes; empty text once deleted. */
export function indexRowOf(message: Message) {
  const body = message.deletedAt ? '' : (message.body ?? '');
  const norm = normalizeText(body);
  return {
    message_id: message.id,
    conversation_id: message.conversationId,
    sender_id: message.senderId,
    seq: message.seq,
    created_at: new Date(message.createdAt),
    edited_at: message.editedAt ? new Date(message.editedAt) : null,
    deleted_at: message.deletedAt ? new Date(message.deletedAt) : null,
    body,
    norm,
    grams: gramKeysOf(message.conversationId, norm),
  };
}

export type IndexRow = ReturnType<typeof indexRowOf>;

export interface SearchFilter {
  terms: SearchTerm[];
  conversationIds: string[];
  senderId?: string | undefined;
  /** Keyset: only hits after this one in rank order. */
  after?: { rank: number; createdAt: Date; messageId: string } | undefined;
  limit: number;
}

export interface StoredHit {
  message_id: string;
  conversation_id: string;
  sender_id: string;
  seq: number;
  created_at: Date;
  edited_at: Date | null;
  body: string;
  /** Relevance in thousandths. */
  rank: number;
}

// Connection failures and cancelled statements are "try again", not bugs.
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P03',
  '53300',
]);
function unavailableWhenDown(error: unknown): never {
  const code = (error as { code?: string }).code;
  if (code === '57014')
    throw new SearchError('unavailable', 'The search took too long; narrow it and try again');
  if (code && unavailableCodes.has(code))
    throw new SearchError('unavailable', 'The search index is unreachable; try again');
  throw error;
}

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
export function createSearchIndex(sql: Sql) {
  /** Creates what is missing; refuses a database where CJK and Arabic are no word characters. */
  async function migrate() {
    const [database] = await sql<{ encoding: string; ctype: string }[]>`
      select pg_encoding_to_char(encoding) as encoding, datctype as ctype
      from pg_database where datname = current_database()`;
    if (database?.encoding !== 'UTF8' || /^(C|POSIX)$/i.test(database.ctype)) {
      throw new Error(
        `the search database must be UTF8 with a UTF-8 LC_CTYPE such as C.UTF-8 (it is ${database?.encoding} / ${database?.ctype}): pg_trgm would not see CJK or Arabic letters`,
      );
    }
    for (const statement of [...tableSchema, ...indexSchema]) await sql.unsafe(statement);
  }

  /**
   * Applies a message state: inserted when new; an edit replaces an older edit or the
   * original; a deletion is final. Redelivered or reordered events change nothing.
   */
  async function apply(rows: IndexRow[]) {
    if (rows.length === 0) return;
    await sql`
      insert into search_messages ${sql(rows)}
      on conflict (message_id) do update set
        edited_at = excluded.edited_at, deleted_at = excluded.deleted_at,
        body = excluded.body, norm = excluded.norm, grams = excluded.grams
      where search_messages.deleted_at is null and (
        excluded.deleted_at is not null
        or excluded.edited_at > coalesce(search_messages.edited_at, '-infinity'::timestamptz))`;
  }

  /** The index query for a filter, as one statement (run by `search`, explained by `explain`). */
  function queryFor(filter: SearchFilter) {
    const { terms } = filter;
    // A row holds the keys of its own conversation only: "has any of the gram's keys in the
    // caller's conversations" is "has the gram", read from the caller's entries alone.
    const gramMatch = (gram: string) =>
      sql`and grams && ${sql.array(filter.conversationIds.map((id) => gramKey(id, gram)))}::text[]`;
    const matches = terms.map(
      (term) =>
        sql`and norm like ${`%${likeLiteral(term.text)}%`} ${(term.grams ?? []).reduce((all, gram) => sql`${all} ${gramMatch(gram)}`, sql``)}`,
    );
    const where = matches.reduce((all, match) => sql`${all} ${match}`, sql``);
    // Relevance: each term counts 1 at the start of a word, ½ inside one (80 %), and the
    // share of the message the terms cover (20 %), so short, exact messages come first.
    const wordStarts = terms.reduce(
      (sum, term) =>
        sql`${sum} + case when norm like ${`${likeLiteral(term.text)}%`} or norm like ${`% ${likeLiteral(term.text)}%`} then 1.0 else 0.5 end`,
      sql`0`,
    );
    const termLength = terms.reduce((sum, term) => sum + Array.from(term.text).length, 0);
    const after = filter.after;
    return sql<StoredHit[]>`
        select * from (
          select message_id, conversation_id, sender_id, seq, created_at, edited_at, body,
            round(1000 * (0.8 * (${wordStarts}) / ${terms.length}
              + 0.2 * least(1.0, ${termLength}::float8 / greatest(char_length(norm), 1))))::int as rank
          from search_messages
          where conversation_id = any(${sql.array(filter.conversationIds)}::text[])
            and deleted_at is null
            ${filter.senderId ? sql`and sender_id = ${filter.senderId}` : sql``}
            ${where}
        ) hits
        ${after ? sql`where (rank, created_at, message_id) < (${after.rank}, ${after.createdAt}, ${after.messageId})` : sql``}
        order by rank desc, created_at desc, message_id desc
        limit ${filter.limit}`;
  }

  async function search(filter: SearchFilter): Promise<StoredHit[]> {
    try {
      return await queryFor(filter);
    } catch (error) {
      return unavailableWhenDown(error);
    }
  }

  /** EXPLAIN ANALYZE of the query `search` runs, as plan lines (benchmarks). */
  async function explain(filter: SearchFilter): Promise<string[]> {
    const rows = await sql`explain (analyze, buffers, costs off) ${queryFor(filter)}`;
    return rows.map((row) => Object.values(row)[0] as string);
  }

  return { migrate, apply, search, explain, check: async () => sql`select 1` };
}

export type SearchIndex = ReturnType<typeof createSearchIndex>;
