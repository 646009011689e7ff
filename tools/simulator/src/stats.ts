/** Counters and latencies of a simulator run, and the compact status line they print as. */
export class SimulatorStats {
  connectedUnits = 0;
  /** Units whose device is down (dropped, or never got in), retrying or stopped. */
  downUnits = 0;
  /** The dispatch console's socket, when there is one. */
  consoleState: 'up' | 'down' | 'connecting' | undefined;
  units = 0;
  positions = 0;
  incidents = 0;
  dispatches = 0;
  recommendations = 0;
  /** Incidents left undispatched: no available unit with a fresh fix. */
  noFreshUnit = 0;
  commands = 0;
  accepted = 0;
  declined = 0;
  silent = 0;
  escalations = 0;
  errors = 0;
  private readonly ackLatenciesMs: number[] = [];
  private readonly startedAt = Date.now();
  private lastPositions = 0;
  private lastAt = Date.now();
  private positionRate = 0;

  constructor(private readonly now: () => number = Date.now) {}

  recordAckLatency(ms: number): void {
    this.ackLatenciesMs.push(ms);
    if (this.ackLatenciesMs.length > 10_000) {
      this.ackLatenciesMs.splice(0, this.ackLatenciesMs.length - 10_000);
    }
  }

  /** Percentile (0..100) of the recorded ack latencies, or undefined when there are none. */
  ackPercentile(p: number): number | undefined {
    if (this.ackLatenciesMs.length === 0) {
      return undefined;
    }
    const sorted = [...this.ackLatenciesMs].sort((a, b) => a - b);
    const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
    return sorted[Math.max(0, index)];
  }

  /** Positions per second since the previous call (call once per status line). */
  samplePositionRate(): number {
    const now = this.now();
    const seconds = (now - this.lastAt) / 1000;
    if (seconds > 0) {
      this.positionRate = (this.positions - this.lastPositions) / seconds;
      this.lastPositions = this.positions;
      this.lastAt = now;
    }
    return this.positionRate;
  }

  statusLine(): string {
    const rate = this.samplePositionRate();
    const p50 = this.ackPercentile(50);
    const p95 = this.ackPercentile(95);
    const ack = p50 === undefined ? 'ack -' : `ack p50 ${p50} ms p95 ${p95} ms`;
    const elapsed = Math.round((this.now() - this.startedAt) / 1000);
    return [
      `${elapsed}s`,
      `units ${this.connectedUnits}/${this.units} (down ${this.downUnits})`,
      ...(this.consoleState ? [`console ${this.consoleState}`] : []),
      `pos/s ${rate.toFixed(1)}`,
      `incidents ${this.incidents}`,
      `dispatches ${this.dispatches}${this.noFreshUnit > 0 ? ` (no unit ${this.noFreshUnit})` : ''}`,
      `cmds ${this.commands} (acc ${this.accepted} dec ${this.declined} silent ${this.silent})`,
      ack,
      `escalations ${this.escalations}`,
      `errors ${this.errors}`,
    ].join(' | ');
  }
}
