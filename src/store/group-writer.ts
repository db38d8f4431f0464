/**
 * Group commit: writes requested concurrently — in the same turn of the event
 * loop, or while the previous group was being written — go to the database as
 * one group (one transaction, or one multi-row statement), and each caller is
 * answered when its group is written. When a group fails, each item is written
 * alone, so one bad item fails only its own caller.
 */
export class GroupWriter<I, R> {
  private readonly waiting: Array<{ item: I; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;
  private writing = false;

  constructor(
    private readonly writeGroup: (items: I[]) => Promise<R[]>,
    private readonly writeOne: (item: I) => Promise<R>,
    private readonly maxGroup: number,
  ) {}

  write(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.scheduled || this.writing) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.drain();
      });
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, this.maxGroup);
        try {
          const results = await this.writeGroup(group.map((w) => w.item));
          group.forEach((w, i) => w.resolve(results[i] as R));
        } catch (err) {
          if (group.length === 1) {
            group[0]?.reject(err);
            continue;
          }
          for (const w of group) await this.writeOne(w.item).then(w.resolve, w.reject);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
