import { createEnvelope, type Envelope } from '@gad/contracts';
import type { BusLogger } from '@gad/bus';

/** A logger that keeps messages for assertions instead of printing them. */
export class CapturingLogger implements BusLogger {
  readonly messages: Array<{ level: 'log' | 'warn' | 'error'; message: string }> = [];

  log(message: string): void {
    this.messages.push({ level: 'log', message });
  }

  warn(message: string): void {
    this.messages.push({ level: 'warn', message });
  }

  error(message: string): void {
    this.messages.push({ level: 'error', message });
  }

  count(pattern: RegExp): number {
    return this.messages.filter(({ message }) => pattern.test(message)).length;
  }
}

export function testEnvelope(data: unknown, type = 'test.happened'): Envelope {
  return createEnvelope({
    type,
    agencyId: 'agency-1',
    actor: { kind: 'system', id: 'test' },
    data,
  });
}

/** Fields of `[id, [k, v, ...]]` XRANGE entries as records. */
export function entryRecords(entries: Array<[string, string[]]>): Array<Record<string, string>> {
  return entries.map(([, fields]) => {
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) {
      record[fields[i]] = fields[i + 1];
    }
    return record;
  });
}
