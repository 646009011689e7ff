import type { BusClient } from '@gad/bus';
import { createEnvelope, type CommandIssuedV1, type Envelope } from '@gad/contracts';
import type { NamespacesRegistry } from '../realtime/namespaces.registry';
import type { WsGatewayConfig } from '../ws-gateway.config';
import type { AppendResult, CommandLogRepository } from './command-log.repository';
import { CommandsService } from './commands.service';

const command = (unitId: string, title: string): Envelope<CommandIssuedV1> =>
  createEnvelope({
    type: 'command.issued',
    agencyId: 'agency-1',
    actor: { kind: 'service', id: 'notification-service' },
    data: {
      commandId: `00000000-0000-4000-8000-${title.padStart(12, '0')}`,
      recipient: { kind: 'unit', id: unitId },
      kind: 'dispatch',
      critical: true,
      title,
      body: '',
      locale: 'en',
      issuedAt: new Date().toISOString(),
    },
  });

describe('CommandsService.issue', () => {
  const emitted: { room: string; seq: number; title: string }[] = [];
  const appendOrder: string[] = [];
  const seqs = new Map<string, number>();
  /** The repository answers after a delay chosen per command, so answers can come out of order. */
  const delays = new Map<string, number>();
  const log = {
    append: async (_agency: string, data: CommandIssuedV1): Promise<AppendResult> => {
      appendOrder.push(data.title);
      const seq = (seqs.get(data.recipient.id) ?? 0) + 1;
      seqs.set(data.recipient.id, seq);
      await new Promise((resolve) => setTimeout(resolve, delays.get(data.title) ?? 0));
      return { seq, inserted: true };
    },
  } as unknown as CommandLogRepository;
  const namespace = {
    to: (room: string) => ({
      emit: (_event: string, payload: CommandIssuedV1 & { seq: number }) =>
        emitted.push({ room, seq: payload.seq, title: payload.title }),
    }),
  };
  const sut = new CommandsService(
    { WS_COMMAND_LOG_MAX_LEN: 100, WS_COMMAND_LOG_MAX_AGE_S: 60 } as WsGatewayConfig,
    log,
    { field: namespace } as unknown as NamespacesRegistry,
    {} as BusClient,
  );

  it('appends one recipient’s commands in arrival order even when handled concurrently', async () => {
    delays.set('1', 30).set('2', 0).set('9', 0);
    const results = await Promise.all([
      sut.issue(command('u1', '1')),
      sut.issue(command('u1', '2')),
      sut.issue(command('u2', '9')),
    ]);
    expect(results).toEqual([1, 2, 1]);
    // u2 did not wait for u1; u1's second command waited for its first.
    expect(appendOrder).toEqual(['1', '9', '2']);
    expect(emitted.filter((e) => e.room.endsWith(':unit:u1')).map((e) => e.seq)).toEqual([1, 2]);
    expect(emitted.find((e) => e.title === '9')?.room).toBe('agency:agency-1:unit:u2');
  });

  it('keeps going after a failed append of the same recipient', async () => {
    const failing = {
      ...log,
      append: jest.fn().mockRejectedValueOnce(new Error('redis down')).mockResolvedValue({
        seq: 7,
        inserted: true,
      }),
    } as unknown as CommandLogRepository;
    const other = new CommandsService(
      { WS_COMMAND_LOG_MAX_LEN: 100, WS_COMMAND_LOG_MAX_AGE_S: 60 } as WsGatewayConfig,
      failing,
      { field: namespace } as unknown as NamespacesRegistry,
      {} as BusClient,
    );
    const first = other.issue(command('u3', '3'));
    const second = other.issue(command('u3', '4'));
    await expect(first).rejects.toThrow('redis down');
    await expect(second).resolves.toBe(7);
  });
});
