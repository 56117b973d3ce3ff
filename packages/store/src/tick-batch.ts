/**
 * Coalesces the calls made in one event-loop turn into one `flush` of all their items: the
 * deliveries of a burst each index their record or add their safety-net entry, and one ZADD with
 * every member costs Redis one command where each call on its own cost one (or a MULTI of three).
 * Every caller's promise settles with the flush of its batch (its result, or its error), so a
 * caller still knows its write is done before it goes on. Batches are per `group` (a key).
 */
export function tickBatcher<T, R>(flush: (group: string, items: T[]) => Promise<R>) {
  interface Batch {
    items: T[];
    settle: { resolve: (r: R) => void; reject: (e: unknown) => void }[];
  }
  const open = new Map<string, Batch>();
  const run = (group: string, batch: Batch) => {
    if (open.get(group) === batch) open.delete(group);
    flush(group, batch.items).then(
      (r) => {
        for (const s of batch.settle) s.resolve(r);
      },
      (e: unknown) => {
        for (const s of batch.settle) s.reject(e);
      },
    );
  };
  return (group: string, item: T): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      let batch = open.get(group);
      if (!batch) {
        const fresh: Batch = { items: [], settle: [] };
        batch = fresh;
        open.set(group, fresh);
        // After the current turn's callbacks and microtasks: the replies of one socket read
        // resume many callers in one turn, and their next writes then leave together.
        setImmediate(() => run(group, fresh));
      }
      batch.items.push(item);
      batch.settle.push({ resolve, reject });
    });
}
