import type Database from "better-sqlite3";

/**
 * Group commit: operations submitted in the same event-loop turn share one SQLite transaction (one WAL
 * write), each inside its own savepoint (a nested better-sqlite3 transaction) so a failing operation
 * rolls back alone. Every caller resolves only after the shared transaction has committed, so the
 * durability promise of each call is unchanged.
 */
export class GroupCommit<I, O> {
  private pending: { input: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  /** Wrapped once: better-sqlite3 builds a transaction function per call to `db.transaction`. */
  private readonly inSavepoint: (input: I) => O;
  private readonly inTransaction: (run: () => void) => void;

  constructor(db: Database.Database, runOne: (input: I) => O) {
    this.inSavepoint = db.transaction(runOne);
    this.inTransaction = db.transaction((run: () => void) => run());
  }

  submit(input: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const outcomes: ({ ok: true; value: O } | { ok: false; error: unknown })[] = [];
    try {
      this.inTransaction(() => {
        for (const { input } of batch) {
          try {
            outcomes.push({ ok: true, value: this.inSavepoint(input) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }
}
