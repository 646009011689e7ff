import {
  DEFAULT_AGENCY_SETTINGS,
  EventTypes,
  Streams,
  createEnvelope,
  type AgencySettings,
  type AgencySettingsChangedV1,
} from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { Queue } from 'bullmq';
import { AgencySettingsCache } from '../src/escalation/agency-settings.service';
import { NotifyQueueNames } from '../src/queues/notify-jobs';
import { NotifyQueues, notifyQueuePrefix } from '../src/queues/notify-queues.service';
import { NotifyHarness } from './notify-test-harness';

/**
 * notification-service follows `agency.settings_changed` (issue #18): the agency's escalation
 * ladder per priority replaces the deployment's, priorities the agency left `null` keep the
 * deployment's, older versions change nothing. Real PostgreSQL, Redis streams and BullMQ.
 */
describe('notification-service agency settings', () => {
  const h = new NotifyHarness();
  let escalations: Queue;

  const settingsEvent = (version: number, settings: AgencySettings) =>
    createEnvelope<AgencySettingsChangedV1>({
      type: EventTypes.AgencySettingsChanged,
      agencyId: h.agencyId,
      actor: { kind: 'user', id: 'admin-1', roles: ['admin'] },
      data: { version, settings, changed: ['escalation'], changedAt: new Date().toISOString() },
    });

  const stepDelay = async (assignmentId: string, step: 'undelivered' | 'unaccepted') => {
    const job = await escalations.getJob(NotifyQueues.escalationJobId(assignmentId, step));
    return job ? job.opts.delay : undefined;
  };

  const commandOf = (assignmentId: string) =>
    waitFor(
      async () => {
        const found = await h.commandsFor(assignmentId);
        return found.length > 0 && found;
      },
      { description: 'command.issued on gad:notify:outbound' },
    );

  beforeAll(async () => {
    await h.setUp();
    await h.startInProcess();
    escalations = new Queue(NotifyQueueNames.Escalation, {
      connection: h.redis,
      prefix: notifyQueuePrefix(h.prefix),
    });
    await h.upsertRecipient({ userId: 'officer-a', roles: ['officer'], locale: 'en' });
  }, 60_000);

  afterAll(async () => {
    await escalations?.close();
    await h.tearDown();
  }, 30_000);

  it('schedules the agency ladder of a priority and the deployment ladder of the others', async () => {
    const settings: AgencySettings = {
      ...DEFAULT_AGENCY_SETTINGS,
      escalation: {
        ...DEFAULT_AGENCY_SETTINGS.escalation,
        P1: { deliverMs: 0, acceptMs: 600_000, alertRoles: ['dispatcher'] },
      },
      allowedWebhookHosts: ['hooks.agency.example'],
    };
    await h.publish(Streams.DispatchEvents, settingsEvent(2, settings));
    await waitFor(
      async () =>
        (
          await h.sql<{ version: number }>(
            'SELECT version FROM notify.agency_settings WHERE agency_id = $1',
            [h.agencyId],
          )
        )[0]?.version === 2,
      { description: 'agency settings stored' },
    );

    const p1 = h.assignment({ priority: 'P1', crew: ['officer-a'] });
    await h.publish(Streams.DispatchEvents, p1);
    await commandOf(p1.data.assignmentId);
    // The agency's P1: no re-send step, acceptance after 600 s (the deployment's is 1.5 s / 4 s).
    expect(await stepDelay(p1.data.assignmentId, 'undelivered')).toBeUndefined();
    expect(await stepDelay(p1.data.assignmentId, 'unaccepted')).toBeGreaterThan(500_000);

    const p2 = h.assignment({ priority: 'P2', crew: ['officer-a'] });
    await h.publish(Streams.DispatchEvents, p2);
    await commandOf(p2.data.assignmentId);
    // P2 left null: the deployment's ESCALATION_P2_* (10 s / 60 s).
    expect(await stepDelay(p2.data.assignmentId, 'undelivered')).toBeLessThanOrEqual(10_000);
    expect(await stepDelay(p2.data.assignmentId, 'unaccepted')).toBeLessThanOrEqual(60_000);

    const cache = h.app?.get(AgencySettingsCache, { strict: false });
    expect(await cache?.allowedWebhookHosts(h.agencyId)).toEqual(['hooks.agency.example']);
    expect(await cache?.ladderFor(h.agencyId, 'P1')).toEqual({
      deliverMs: 0,
      acceptMs: 600_000,
      alertRoles: ['dispatcher'],
    });
  });

  it('keeps the newest version: an older event changes nothing', async () => {
    await h.publish(Streams.DispatchEvents, settingsEvent(1, DEFAULT_AGENCY_SETTINGS));
    const marker = createEnvelope<AgencySettingsChangedV1>({
      type: EventTypes.AgencySettingsChanged,
      agencyId: `${h.agencyId}-other`,
      actor: { kind: 'user', id: 'admin-2', roles: ['admin'] },
      data: settingsEvent(1, DEFAULT_AGENCY_SETTINGS).data,
    });
    await h.publish(Streams.DispatchEvents, marker);
    // The other agency's event comes after the stale one in the stream: once it is stored, the
    // stale one was handled too.
    await waitFor(
      async () =>
        (
          await h.sql('SELECT 1 FROM notify.agency_settings WHERE agency_id = $1', [
            `${h.agencyId}-other`,
          ])
        ).length === 1,
      { description: 'the later event stored' },
    );
    const rows = await h.sql<{ version: number; settings: AgencySettings }>(
      'SELECT version, settings FROM notify.agency_settings WHERE agency_id = $1',
      [h.agencyId],
    );
    expect(rows[0]?.version).toBe(2);
    expect(rows[0]?.settings.escalation.P1).toMatchObject({ acceptMs: 600_000 });
  });
});
