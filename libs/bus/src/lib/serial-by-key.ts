/**
 * Runs tasks with the same key one after another, in the order they were submitted, while tasks of
 * different keys run concurrently. The Nest transport uses one per instance for the `orderKey` of
 * `@OnEvent` handlers: the stream consumer handles entries concurrently, and events of one unit
 * (status, assignment) or one command (delivered, then accepted) must keep their order.
 */
export class SerialByKey {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) {
        this.tails.delete(key);
      }
    });
    return result;
  }
}
