import { Script } from 'node:vm';

/** Well below the ~107 s after which V8's smoothed embedder allocation rate underflows to 0. */
export const MEMORY_REDUCER_NUDGE_MS = 20_000;

/**
 * Lets V8's memory reducer give an idle process's heap back, as it did before Node 24.
 *
 * After a connection storm the old generation holds the handshakes' promoted garbage; the memory
 * reducer is what compacts it and returns the pages once the process goes idle. On Node 24 (V8
 * 13.6) its idle test never passes in a process that allocates nothing on the C++ heap (cppgc):
 * the embedder's allocation rate is then exactly 0, which `Heap::HasLowEmbedderAllocationRate`
 * reads as a high rate, so every check logs `Memory reducer: high alloc` and the heap is only
 * reduced by a watchdog 100 s after the last full GC, or never if another GC comes first
 * (`--trace-memory-reducer --trace-mutator-utilization`: `Embedder mutator utilization = 0.000`;
 * Node 22 reads 1 B/ms there and reduces). A `vm.Script` is one of Node's few cppgc objects:
 * compiling a trivial one now and then keeps that rate positive and tiny, so the reducer's own
 * test decides again: no reduction while the gateway serves traffic (young and old generation
 * rates stay high), a compacting GC within one 8 s check once it is idle. Measured in
 * tools/bench/analysis/ws.md (2026-12-07): 3,000 idle sockets read 11-15.5 KB of RSS per socket
 * 15 s after the last handshake instead of 22-29 KB.
 *
 * Returns a function that stops it (the timer does not keep the process alive either way).
 */
export function nudgeMemoryReducer(intervalMs = MEMORY_REDUCER_NUDGE_MS): () => void {
  const nudge = (): void => {
    void new Script('0');
  };
  nudge();
  const timer = setInterval(nudge, intervalMs).unref();
  return () => clearInterval(timer);
}
