/** A minimal observable value for useSyncExternalStore: replace-only, never mutated. */
export class ChatStore<T> {
  private readonly listeners = new Set<() => void>();

  private state: T;

  constructor(state: T) {
    this.state = state;
  }

  get = (): T => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  update(change: (state: T) => T): void {
    const next = change(this.state);
    if (next === this.state) return;
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}
