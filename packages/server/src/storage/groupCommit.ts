import type Database from "better-sqlite3";

/**
 * An operation for the group commit: `check` validates against the current state and writes nothing
 * (a throw rejects this operation alone); the write it returns runs right after, in the shared
 * transaction (a throw there rolls back the whole batch and rejects every operation in it).
 */
export type CommitOp<O> = () => () => O;

interface Pending {
  op: CommitOp<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: operations submitted in the same event-loop turn share one SQLite transaction (one WAL
 * write). Splitting each into check and write keeps a refused operation from touching the transaction,
 * so none needs a savepoint of its own. Every caller resolves only after the shared transaction has
 * committed, so the durability promise of each call is unchanged.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  /** Wrapped once: better-sqlite3 builds a transaction function per call to `db.transaction`. */
  private readonly inTransaction: (run: () => void) => void;

  constructor(db: Database.Database) {
    this.inTransaction = db.transaction((run: () => void) => run());
  }

  submit<O>(op: CommitOp<O>): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ op, resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.inTransaction(() => {
        for (const { op } of batch) {
          let write: () => unknown;
          try {
            write = op();
          } catch (error) {
            outcomes.push({ ok: false, error });
            continue;
          }
          outcomes.push({ ok: true, value: write() });
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
