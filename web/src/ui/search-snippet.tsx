import type { SearchSnippet } from '@palaver/contracts';

/** A piece of a snippet's text, highlighted where the query's words are. */
export interface SnippetRun {
  start: number;
  text: string;
  marked: boolean;
}

/**
 * The snippet cut at its highlight ranges (UTF-16 offsets, sorted, not overlapping, as the
 * contract says); a range that breaks that promise is left unmarked rather than trusted.
 */
export function snippetRuns(snippet: SearchSnippet): SnippetRun[] {
  const { text } = snippet;
  const runs: SnippetRun[] = [];
  let at = 0;
  for (const { start, end } of snippet.highlights) {
    if (start < at || end <= start || end > text.length) continue;
    if (start > at) runs.push({ start: at, text: text.slice(at, start), marked: false });
    runs.push({ start, text: text.slice(start, end), marked: true });
    at = end;
  }
  if (at < text.length) runs.push({ start: at, text: text.slice(at), marked: false });
  return runs;
}

/**
 * The text as text (React escapes it: a body that looks like HTML shows as typed) with the
 * matches in <mark>, and an ellipsis where the message goes on.
 */
export function Snippet({ snippet }: { snippet: SearchSnippet }) {
  return (
    <span className="search-snippet" dir="auto">
      {snippet.truncatedStart && '…'}
      {snippetRuns(snippet).map((run) =>
        run.marked ? <mark key={run.start}>{run.text}</mark> : <span key={run.start}>{run.text}</span>,
      )}
      {snippet.truncatedEnd && '…'}
    </span>
  );
}
