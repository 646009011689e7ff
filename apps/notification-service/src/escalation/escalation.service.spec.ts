import type { AuditRecorder } from '@gad/audit';
import type { UnitOfWork, UnitOfWorkTx } from '@gad/bus';
import type { Envelope } from '@gad/contracts';
import type { AssignmentsRepository } from '../commands/assignments.repository';
import type { CommandRecord, CommandsRepository } from '../commands/commands.repository';
import type { DeliveriesRepository } from '../commands/deliveries.repository';
import type { EscalationsRepository } from '../commands/escalations.repository';
import type { NotifyQueues } from '../queues/notify-queues.service';
import type { RecipientsService } from '../recipients/recipients.service';
import { defaultRecipient } from '../recipients/recipient';
import type { AgencySettingsCache } from './agency-settings.service';
import { EscalationService } from './escalation.service';
import { COMMAND_SINK } from '../notify.constants';

const NOW = new Date('2026-11-22T10:00:05.000Z');

function command(overrides: Partial<CommandRecord> = {}): CommandRecord {
  return {
    commandId: '01a20000-0000-7000-8000-000000000001',
    agencyId: 'agency-1',
    assignmentId: '01a20000-0000-7000-8000-0000000000a1',
    incidentId: '01a20000-0000-7000-8000-0000000000b1',
    unitId: 'unit-12',
    userId: 'officer-1',
    priority: 'P1',
    critical: true,
    locale: 'es',
    title: 't',
    body: 'b',
    payload: { incidentType: 'fire' },
    issuedAt: new Date('2026-11-22T10:00:00.000Z'),
    ...overrides,
  };
}

describe('EscalationService', () => {
  let repository: jest.Mocked<
    Pick<AssignmentsRepository, 'findAssignment'> &
      Pick<CommandsRepository, 'commandsOfAssignment'> &
      Pick<EscalationsRepository, 'insertEscalation'> &
      Pick<DeliveriesRepository, 'insertDelivery'>
  >;
  let recipients: jest.Mocked<Pick<RecipientsService, 'profiles' | 'onDutyWithRoles'>>;
  let queues: jest.Mocked<Pick<NotifyQueues, 'enqueueDelivery'>>;
  let appended: { stream: string; envelopes: Envelope[] }[];
  let audit: jest.Mocked<Pick<AuditRecorder, 'record'>>;
  let agencySettings: jest.Mocked<Pick<AgencySettingsCache, 'ladderFor'>>;
  let sut: EscalationService;

  const job = (step: 'undelivered' | 'unaccepted') => ({
    agencyId: 'agency-1',
    assignmentId: command().assignmentId,
    step,
    priority: 'P1' as const,
  });

  beforeEach(() => {
    appended = [];
    repository = {
      findAssignment: jest.fn().mockResolvedValue({
        agencyId: 'agency-1',
        assignmentId: command().assignmentId,
        incidentId: command().incidentId,
        unitId: 'unit-12',
        priority: 'P1',
        createdAt: new Date('2026-11-22T10:00:00.000Z'),
      }),
      commandsOfAssignment: jest.fn().mockResolvedValue([command()]),
      insertEscalation: jest.fn().mockResolvedValue(true),
      insertDelivery: jest.fn().mockResolvedValue(undefined),
    };
    recipients = {
      profiles: jest
        .fn()
        .mockResolvedValue(
          new Map([
            ['officer-1', { ...defaultRecipient('agency-1', 'officer-1'), telegramChatId: '77' }],
          ]),
        ),
      onDutyWithRoles: jest.fn().mockResolvedValue([
        {
          ...defaultRecipient('agency-1', 'sup-1'),
          roles: ['supervisor'],
          email: 'sup@agency.test',
        },
      ]),
    };
    queues = { enqueueDelivery: jest.fn().mockResolvedValue(undefined) };
    audit = { record: jest.fn().mockReturnValue('id') };
    agencySettings = {
      ladderFor: jest
        .fn()
        .mockResolvedValue({ deliverMs: 3_000, acceptMs: 30_000, alertRoles: ['supervisor'] }),
    };
    const unitOfWork = {
      run: jest.fn(async (work: (tx: UnitOfWorkTx) => Promise<unknown>) =>
        work({
          client: {} as UnitOfWorkTx['client'],
          atCommit: () => undefined,
          emit: (stream, envelopes) => {
            appended.push({
              stream,
              envelopes: Array.isArray(envelopes) ? envelopes : [envelopes as Envelope],
            });
          },
        }),
      ),
    };
    sut = new EscalationService(
      repository as unknown as AssignmentsRepository,
      repository as unknown as CommandsRepository,
      repository as unknown as EscalationsRepository,
      repository as unknown as DeliveriesRepository,
      recipients as unknown as RecipientsService,
      queues as unknown as NotifyQueues,
      unitOfWork as unknown as UnitOfWork,
      audit as unknown as AuditRecorder,
      agencySettings as unknown as AgencySettingsCache,
      { now: () => NOW },
    );
  });

  it('re-sends an undelivered command with the same id, adds Telegram and audits the step', async () => {
    await expect(sut.fire(job('undelivered'))).resolves.toBe('fired');
    const resent = appended.find((a) => a.stream === COMMAND_SINK)?.envelopes ?? [];
    expect(resent.map((e) => (e.data as { commandId: string }).commandId)).toEqual([
      command().commandId,
    ]);
    expect(queues.enqueueDelivery).toHaveBeenCalledWith(
      expect.objectContaining({
        channel: 'telegram',
        target: '77',
        commandId: command().commandId,
      }),
      `${command().commandId}_undelivered`,
    );
    expect(audit.record).toHaveBeenCalledWith(
      expect.objectContaining({ action: 'command.escalation', reason: 'undelivered' }),
    );
  });

  it('emits assignment.unacknowledged and alerts supervisors when nobody accepted', async () => {
    repository.commandsOfAssignment.mockResolvedValue([
      command({
        deliveredAt: new Date('2026-11-22T10:00:01Z'),
        seenAt: new Date('2026-11-22T10:00:02Z'),
      }),
    ]);
    await expect(sut.fire(job('unaccepted'))).resolves.toBe('fired');
    const events = appended.find((a) => a.stream === 'gad:notify:events')?.envelopes ?? [];
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'assignment.unacknowledged',
      data: { commandId: command().commandId, lastStage: 'seen', waitedMs: 5000 },
    });
    expect(queues.enqueueDelivery).toHaveBeenCalledWith(
      expect.objectContaining({ channel: 'email', target: 'sup@agency.test' }),
      `${command().assignmentId}_supervisor_sup-1`,
    );
  });

  it("names the unit by the call sign the dispatch gave in the supervisors' alert", async () => {
    repository.commandsOfAssignment.mockResolvedValue([
      command({ payload: { incidentType: 'fire', callSign: 'M-12' } }),
    ]);
    await expect(sut.fire(job('unaccepted'))).resolves.toBe('fired');
    expect(queues.enqueueDelivery).toHaveBeenCalledWith(
      expect.objectContaining({ channel: 'email', title: expect.stringContaining('M-12') }),
      `${command().assignmentId}_supervisor_sup-1`,
    );
  });

  it('alerts the roles of the agency ladder for the priority instead of the supervisors', async () => {
    agencySettings.ladderFor.mockResolvedValue({
      deliverMs: 0,
      acceptMs: 20_000,
      alertRoles: ['dispatcher', 'admin'],
    });
    await expect(sut.fire(job('unaccepted'))).resolves.toBe('fired');
    expect(agencySettings.ladderFor).toHaveBeenCalledWith('agency-1', 'P1');
    expect(recipients.onDutyWithRoles).toHaveBeenCalledWith('agency-1', ['dispatcher', 'admin']);
  });

  it('does nothing once the command was accepted', async () => {
    repository.commandsOfAssignment.mockResolvedValue([command({ acceptedAt: new Date() })]);
    await expect(sut.fire(job('unaccepted'))).resolves.toBe('not_needed');
    expect(appended).toEqual([]);
    expect(audit.record).not.toHaveBeenCalled();
  });

  it('does not skip the undelivered step when the device reported it delivered', async () => {
    repository.commandsOfAssignment.mockResolvedValue([command({ deliveredAt: new Date() })]);
    await expect(sut.fire(job('undelivered'))).resolves.toBe('not_needed');
    expect(queues.enqueueDelivery).not.toHaveBeenCalled();
  });

  it('emits nothing again for a step that already fired (a retried job), but re-queues deliveries', async () => {
    repository.insertEscalation.mockResolvedValue(false);
    await expect(sut.fire(job('undelivered'))).resolves.toBe('already_fired');
    expect(appended).toEqual([]);
    expect(audit.record).not.toHaveBeenCalled();
    expect(queues.enqueueDelivery).toHaveBeenCalledTimes(1);
  });
});
