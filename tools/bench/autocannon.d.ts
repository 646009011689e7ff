// The subset of autocannon 9 (no bundled types) that the benchmarks use.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    setupRequest?: (request: Record<string, unknown>) => Record<string, unknown>;
    /** Called with each response's status, body and headers (lower-case names). */
    onResponse?: (
      status: number,
      body: string,
      context: unknown,
      headers: Record<string, string | undefined>,
    ) => void;
  }

  export interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    overallRate?: number;
    headers?: Record<string, string>;
    requests?: AutocannonRequest[];
  }

  export interface AutocannonResult {
    latency: Record<'p50' | 'p90' | 'p97_5' | 'p99' | 'average' | 'max', number>;
    requests: { average: number; total: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  }

  export type Instance = EventEmitter & PromiseLike<AutocannonResult> & { stop(): void };

  function autocannon(options: AutocannonOptions): Instance;
  export default autocannon;
}
