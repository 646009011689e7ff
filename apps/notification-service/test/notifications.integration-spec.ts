import {
  EventTypes,
  Streams,
  createEnvelope,
  type AssignmentUnacknowledgedV1,
  type IncidentCreatedV1,
} from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { Queue } from 'bullmq';
import { NotifyQueueNames } from '../src/queues/notify-jobs';
import { NotifyQueues, notifyQueuePrefix } from '../src/queues/notify-queues.service';
import { NotifyHarness } from './notify-test-harness';

/** A quiet-hours window around the current UTC time. */
function quietNow(): { start: string; end: string; timeZone: string } {
  const hhmm = (date: Date) =>
    `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  const now = Date.now();
  return {
    start: hhmm(new Date(now - 3_600_000)),
    end: hhmm(new Date(now + 3_600_000)),
    timeZone: 'UTC',
  };
}

/**
 * notification-service in-process against the real PostgreSQL, Redis streams and BullMQ, with local
 * Telegram, SMTP and webhook servers. ws-gateway is not involved: commands are read from
 * `gad:notify:outbound` and device acks published on `gad:field:acks` as ws-gateway would.
 */
describe('notification-service', () => {
  const h = new NotifyHarness();
  let escalations: Queue;

  beforeAll(async () => {
    await h.setUp();
    await h.startInProcess();
    // Every scenario below then also proves its changes commit with their audit entries.
    await h.requireAuditWithEveryChange();
    escalations = new Queue(NotifyQueueNames.Escalation, {
      connection: h.redis,
      prefix: notifyQueuePrefix(h.prefix),
    });
    await h.upsertRecipient({
      userId: 'officer-a',
      roles: ['officer'],
      locale: 'en',
      telegramChatId: '1001',
    });
    await h.upsertRecipient({
      userId: 'supervisor-s',
      roles: ['supervisor'],
      locale: 'es',
      email: 'supervisor@agency.test',
      telegramChatId: '2001',
      channels: ['in_app', 'telegram'],
    });
  }, 60_000);

  afterAll(async () => {
    await escalations?.close();
    await h.tearDown();
  }, 30_000);

  const pendingStep = async (assignmentId: string, step: 'undelivered' | 'unaccepted') => {
    const job = await escalations.getJob(NotifyQueues.escalationJobId(assignmentId, step));
    return job ? await job.isDelayed() : false;
  };

  it('refuses to commit an audited change without its audit entry (the guard the scenarios run under)', async () => {
    const event = h.assignment({ priority: 'P3', crew: [] });
    await h.publish(Streams.DispatchEvents, event);
    await waitFor(
      async () =>
        (
          await h.sql(`SELECT 1 FROM notify.assignments WHERE assignment_id = $1`, [
            event.data.assignmentId,
          ])
        ).length > 0,
      { description: 'the unstaffed assignment is stored' },
    );
    await expect(
      h.sql(`UPDATE notify.assignments SET settled_at = now() WHERE assignment_id = $1`, [
        event.data.assignmentId,
      ]),
    ).rejects.toThrow('without an audit entry in its transaction');
    // The unstaffed assignment's immediate escalation step committed with its entry.
    await waitFor(
      async () =>
        (await h.auditEntries()).some(
          (entry) =>
            entry.action === 'command.escalation' && entry.object?.id === event.data.assignmentId,
        ),
      { description: 'the unstaffed step has its entry on the audit queue' },
    );
  });

  it('sends a command to the officer once, records acks and stops the ladder on accept', async () => {
    const event = h.assignment({ priority: 'P1', crew: ['officer-a'] });
    await h.publish(Streams.DispatchEvents, event);
    await h.publish(Streams.DispatchEvents, event); // the same envelope consumed twice

    const [command] = await waitFor(
      async () => {
        const found = await h.commandsFor(event.data.assignmentId);
        return found.length > 0 && found;
      },
      { description: 'command.issued on gad:notify:outbound' },
    );
    expect(command).toMatchObject({
      recipient: { kind: 'user', id: 'officer-a' },
      kind: 'dispatch',
      critical: true,
      locale: 'en',
      incidentId: event.data.incidentId,
    });
    expect(command?.title).toContain('Dispatch');
    expect(await pendingStep(event.data.assignmentId, 'undelivered')).toBe(true);
    expect(await pendingStep(event.data.assignmentId, 'unaccepted')).toBe(true);

    await h.ack(command?.commandId as string, 'officer-a', 'delivered');
    await waitFor(async () => !(await pendingStep(event.data.assignmentId, 'undelivered')), {
      description: 'delivery ack cancels the undelivered step',
    });
    expect(await pendingStep(event.data.assignmentId, 'unaccepted')).toBe(true);

    await h.ack(command?.commandId as string, 'officer-a', 'accepted');
    const view = await waitFor(
      async () => {
        const reply = await h.notifications(event.data.incidentId);
        return reply.items[0]?.status === 'accepted' && reply;
      },
      { description: 'accepted stage visible through notify.incident_notifications' },
    );
    expect(view.items).toHaveLength(1);
    expect(view.items[0]?.stages.delivered).toBeDefined();
    expect(view.items[0]?.stages.accepted).toBeDefined();
    expect(view.items[0]?.escalations).toEqual([]);
    await waitFor(async () => !(await pendingStep(event.data.assignmentId, 'unaccepted')), {
      description: 'accept cancels the unaccepted step',
    });

    // The duplicate envelope produced nothing more (it was consumed before the acks).
    expect(await h.commandsFor(event.data.assignmentId)).toHaveLength(1);
    const issuedRows = await h.sql<{ n: string }>(
      `SELECT count(*) AS n FROM notify.commands WHERE assignment_id = $1`,
      [event.data.assignmentId],
    );
    expect(Number(issuedRows[0]?.n)).toBe(1);
  });

  it('keeps the undelivered step until every device of the crew has the command, and pages again an officer whose device acknowledged after a logout', async () => {
    await h.upsertRecipient({ userId: 'officer-x' });
    await h.upsertRecipient({ userId: 'officer-y' });
    const event = h.assignment({
      priority: 'P1',
      crew: ['officer-x', 'officer-y'],
      unitId: 'unit-40',
    });
    await h.publish(Streams.DispatchEvents, event);
    const commands = await waitFor(
      async () => {
        const found = await h.commandsFor(event.data.assignmentId);
        return found.length === 2 && found;
      },
      { description: 'a command to each of the crew' },
    );
    const commandOf = (userId: string) =>
      commands.find((c) => c.recipient.id === userId)?.commandId as string;
    // officer-y logs out while the command is on the way.
    await h.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.UserSessionsRevoked,
        agencyId: h.agencyId,
        actor: { kind: 'user', id: 'officer-y' },
        data: { userId: 'officer-y', reason: 'logout', revokedAt: new Date().toISOString() },
      }),
    );
    const loggedOut = async () =>
      (
        await h.sql(
          `SELECT 1 FROM notify.recipients
            WHERE agency_id = $1 AND user_id = 'officer-y' AND logged_out_at IS NOT NULL`,
          [h.agencyId],
        )
      ).length === 1;
    await waitFor(loggedOut, { description: 'the logout applied' });

    await h.ack(commandOf('officer-x'), 'officer-x', 'delivered');
    await waitFor(
      async () =>
        (await h.notifications(event.data.incidentId)).items.some(
          (i) => i.userId === 'officer-x' && i.stages.delivered,
        ),
      { description: "officer-x's delivery recorded" },
    );
    expect(await pendingStep(event.data.assignmentId, 'undelivered')).toBe(true);

    await h.ack(commandOf('officer-y'), 'officer-y', 'delivered');
    await waitFor(async () => !(await pendingStep(event.data.assignmentId, 'undelivered')), {
      description: 'the last delivery cancels the undelivered step',
    });
    expect(await pendingStep(event.data.assignmentId, 'unaccepted')).toBe(true);
    await waitFor(async () => !(await loggedOut()), {
      description: "officer-y's own ack logs them in again",
    });
    const next = h.assignment({ priority: 'P2', crew: ['officer-y'], unitId: 'unit-41' });
    await h.publish(Streams.DispatchEvents, next);
    const paged = await waitFor(
      async () => {
        const found = await h.commandsFor(next.data.assignmentId);
        return found.length > 0 && found;
      },
      { description: 'officer-y paged again' },
    );
    expect(paged.map((c) => c.recipient.id)).toEqual(['officer-y']);
  }, 30_000);

  it('escalates an unanswered P1: re-send with Telegram, then supervisor and assignment.unacknowledged', async () => {
    const event = h.assignment({ priority: 'P1', crew: ['officer-a'] });
    await h.publish(Streams.DispatchEvents, event);
    const [first] = await waitFor(
      async () => {
        const found = await h.commandsFor(event.data.assignmentId);
        return found.length > 0 && found;
      },
      { description: 'the first command' },
    );

    // Step 1: not delivered -> the same command again and a Telegram message.
    const resent = await waitFor(
      async () => {
        const found = await h.commandsFor(event.data.assignmentId);
        return found.length >= 2 && found;
      },
      { description: 'the command re-sent', timeoutMs: 15_000 },
    );
    expect(resent[1]?.commandId).toBe(first?.commandId);
    await waitFor(() => h.telegram.sentTo('1001').find((c) => c.text.includes('Alfa 12')), {
      description: 'Telegram message to the officer',
    });
    const unacknowledgedSoFar = await h.entries(
      Streams.NotifyEvents,
      EventTypes.AssignmentUnacknowledged,
    );
    expect(
      unacknowledgedSoFar.filter(
        (e) =>
          (e.envelope.data as AssignmentUnacknowledgedV1).assignmentId === event.data.assignmentId,
      ),
    ).toEqual([]);

    // Step 2: not accepted -> the dispatcher is told and the supervisor alerted.
    const unacknowledged = await waitFor(
      async () =>
        (
          await h.entries<AssignmentUnacknowledgedV1>(
            Streams.NotifyEvents,
            EventTypes.AssignmentUnacknowledged,
          )
        ).find((e) => e.envelope.data.assignmentId === event.data.assignmentId),
      { description: 'assignment.unacknowledged', timeoutMs: 15_000 },
    );
    expect(unacknowledged.envelope.data).toMatchObject({
      commandId: first?.commandId,
      unitId: 'unit-12',
      incidentId: event.data.incidentId,
    });
    expect(unacknowledged.envelope.data.waitedMs).toBeGreaterThanOrEqual(4000);
    await waitFor(() => h.telegram.sentTo('2001').find((c) => c.text.includes('Sin aceptar')), {
      description: 'Telegram alert to the supervisor (in Spanish)',
    });
    const supervisorCommand = (await h.commandsFor(event.data.assignmentId)).find(
      (c) => c.recipient.id === 'supervisor-s',
    );
    expect(supervisorCommand).toMatchObject({ kind: 'message', critical: true, locale: 'es' });

    const view = await h.notifications(event.data.incidentId);
    expect(view.items[0]?.escalations.map((e) => e.step)).toEqual(['undelivered', 'unaccepted']);
    // Every step is in the audit trail.
    const audited = await waitFor(
      async () => {
        const entries = (await h.auditEntries()).filter(
          (e) => e.object?.id === event.data.assignmentId && e.action === 'command.escalation',
        );
        return entries.length === 2 && entries;
      },
      { description: 'both escalation steps audited' },
    );
    expect(audited.map((e) => e.reason).sort()).toEqual(['unaccepted', 'undelivered']);
    const issued = (await h.auditEntries()).filter(
      (e) => e.action === 'command.issue' && e.object?.id === first?.commandId,
    );
    expect(issued).toHaveLength(1);
    // The supervisor also got it by e-mail.
    await waitFor(() => h.smtp.messages.find((m) => m.to.includes('supervisor@agency.test')), {
      description: 'e-mail alert to the supervisor',
    });
  }, 30_000);

  it('stops the ladder when the officer accepts after the first step', async () => {
    const event = h.assignment({ priority: 'P1', crew: ['officer-a'] });
    await h.publish(Streams.DispatchEvents, event);
    const resent = await waitFor(
      async () => {
        const found = await h.commandsFor(event.data.assignmentId);
        return found.length >= 2 && found;
      },
      { description: 'the command re-sent by the first step', timeoutMs: 15_000 },
    );
    expect(await pendingStep(event.data.assignmentId, 'unaccepted')).toBe(true);
    await h.ack(resent[0]?.commandId as string, 'officer-a', 'accepted');
    await waitFor(async () => !(await pendingStep(event.data.assignmentId, 'unaccepted')), {
      description: 'accept cancels the unaccepted step',
    });
    const view = await h.notifications(event.data.incidentId);
    expect(view.items[0]?.status).toBe('accepted');
    expect(view.items[0]?.escalations.map((e) => e.step)).toEqual(['undelivered']);
  }, 30_000);

  it('stops the ladder of every assignment when the incident is cancelled', async () => {
    const event = h.assignment({ priority: 'P1', crew: ['officer-a'] });
    await h.publish(Streams.DispatchEvents, event);
    await waitFor(async () => pendingStep(event.data.assignmentId, 'unaccepted'), {
      description: 'the ladder scheduled',
    });
    await h.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.IncidentStatusChanged,
        agencyId: h.agencyId,
        actor: { kind: 'user', id: 'dispatcher-1' },
        data: {
          incidentId: event.data.incidentId,
          status: 'cancelled',
          previousStatus: 'dispatched',
          priority: 'P1',
          changedAt: new Date().toISOString(),
        },
      }),
    );
    await waitFor(
      async () =>
        !(await pendingStep(event.data.assignmentId, 'unaccepted')) &&
        !(await pendingStep(event.data.assignmentId, 'undelivered')),
      { description: 'both steps removed' },
    );
    const rows = await h.sql<{ settled_reason: string }>(
      `SELECT settled_reason FROM notify.assignments WHERE assignment_id = $1`,
      [event.data.assignmentId],
    );
    expect(rows[0]?.settled_reason).toBe('incident cancelled');
  });

  it('waits out a Telegram 429 retry_after and then delivers', async () => {
    await h.upsertRecipient({
      userId: 'officer-t',
      locale: 'es',
      telegramChatId: '3001',
      channels: ['in_app', 'telegram'],
    });
    h.telegram.throttle('3001', 1, 1);
    const event = h.assignment({ priority: 'P3', crew: ['officer-t'] });
    await h.publish(Streams.DispatchEvents, event);

    const delivered = await waitFor(() => h.telegram.sentTo('3001')[0], {
      description: 'Telegram message after the 429',
      timeoutMs: 15_000,
    });
    const calls = h.telegram.calls.filter((c) => c.chatId === '3001');
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    // retry_after is respected: the second call was not made before it elapsed.
    expect(delivered.at - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    const view = await waitFor(
      async () => {
        const reply = await h.notifications(event.data.incidentId);
        return (
          reply.items[0]?.deliveries.some(
            (d) => d.channel === 'telegram' && d.outcome === 'sent',
          ) && reply
        );
      },
      { description: 'the Telegram delivery logged' },
    );
    const telegram = view.items[0]?.deliveries.filter((d) => d.channel === 'telegram');
    expect(telegram?.map((d) => d.outcome)).toEqual(['retrying', 'sent']);
    expect(telegram?.[0]?.detail).toContain('429');
  }, 30_000);

  it('retries a webhook that is down, logs every attempt and records the failure', async () => {
    h.webhook.status = 503;
    const webhookId = await h.addWebhook(h.webhook.url);
    const event = h.assignment({ priority: 'P3', crew: ['officer-a'] });
    await h.publish(Streams.DispatchEvents, event);

    const attempts = await waitFor(
      async () => {
        const rows = await h.sql<{ attempt: number; outcome: string; detail: string }>(
          `SELECT attempt, outcome, detail FROM notify.deliveries
            WHERE channel = 'webhook' AND target = $1 ORDER BY id`,
          [`webhook:${webhookId}`],
        );
        return rows.some((r) => r.outcome === 'failed') && rows;
      },
      { description: 'the webhook failure recorded', timeoutMs: 15_000 },
    );
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'retrying'],
      [2, 'retrying'],
      [3, 'failed'],
    ]);
    expect(attempts[2]?.detail).toContain('503');
    expect(h.webhook.calls).toHaveLength(3);
    expect(h.webhook.calls.every((c) => c.signatureValid)).toBe(true);
    const body = JSON.parse(h.webhook.calls[0]?.body ?? '{}') as {
      type: string;
      data: { assignmentId: string };
    };
    expect(body).toMatchObject({
      type: 'notification.command',
      data: { assignmentId: event.data.assignmentId },
    });
    // The command itself went out regardless.
    expect(await h.commandsFor(event.data.assignmentId)).toHaveLength(1);
    await h.sql(`UPDATE notify.webhooks SET active = false WHERE webhook_id = $1`, [webhookId]);
  }, 30_000);

  it('suppresses a notice in quiet hours but not a critical command', async () => {
    await h.upsertRecipient({
      userId: 'dispatcher-q',
      roles: ['dispatcher'],
      telegramChatId: '4001',
      channels: ['in_app', 'telegram'],
      quietHours: quietNow(),
    });
    await h.upsertRecipient({
      userId: 'dispatcher-awake',
      roles: ['dispatcher'],
      locale: 'en',
      telegramChatId: '4002',
      channels: ['in_app', 'telegram'],
    });
    await h.upsertRecipient({
      userId: 'officer-q',
      telegramChatId: '4003',
      channels: ['in_app', 'telegram'],
      quietHours: quietNow(),
    });
    const incident = createEnvelope<IncidentCreatedV1>({
      type: EventTypes.IncidentCreated,
      agencyId: h.agencyId,
      actor: { kind: 'user', id: 'dispatcher-1' },
      data: {
        incidentId: '0196a000-0000-7000-8000-000000000001',
        type: 'traffic_accident',
        priority: 'P3',
        status: 'new',
        location: { type: 'Point', coordinates: [-3.7, 40.41] },
        createdAt: new Date().toISOString(),
      },
    });
    await h.publish(Streams.DispatchEvents, incident);
    await waitFor(
      () => h.telegram.sentTo('4002').find((c) => c.text.includes('traffic_accident')),
      {
        description: 'the notice to the dispatcher outside quiet hours',
      },
    );
    const suppressed = await waitFor(
      async () => {
        const rows = await h.sql<{ outcome: string; target: string }>(
          `SELECT outcome, target FROM notify.deliveries WHERE notice_id IS NOT NULL AND target = 'user:dispatcher-q'`,
        );
        return rows.length > 0 && rows;
      },
      { description: 'the suppressed notice recorded' },
    );
    expect(suppressed.map((r) => r.outcome)).toEqual(['suppressed']);
    expect(h.telegram.sentTo('4001')).toEqual([]);

    const critical = h.assignment({ priority: 'P1', crew: ['officer-q'] });
    await h.publish(Streams.DispatchEvents, critical);
    await waitFor(() => h.telegram.sentTo('4003')[0], {
      description: 'the critical command on Telegram despite quiet hours',
    });
  }, 30_000);

  it('does not page an off-duty or logged-out officer, and reports an unstaffed unit at once', async () => {
    await h.upsertRecipient({
      userId: 'officer-off',
      onDuty: false,
      telegramChatId: '5001',
      channels: ['in_app', 'telegram'],
    });
    await h.upsertRecipient({ userId: 'officer-on' });
    await h.upsertRecipient({ userId: 'officer-out' });
    await h.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.UserSessionsRevoked,
        agencyId: h.agencyId,
        actor: { kind: 'user', id: 'officer-out' },
        data: { userId: 'officer-out', reason: 'logout', revokedAt: new Date().toISOString() },
      }),
    );
    // Events are ordered per order key (a user's events, a unit's events), not across keys, and
    // entries of different keys run side by side: the logout is applied before the assignment
    // that must honour it is published.
    await waitFor(
      async () =>
        (
          await h.sql(
            `SELECT 1 FROM notify.recipients
              WHERE agency_id = $1 AND user_id = 'officer-out' AND logged_out_at IS NOT NULL`,
            [h.agencyId],
          )
        ).length === 1,
      { description: 'the logout applied' },
    );
    const event = h.assignment({
      priority: 'P2',
      crew: ['officer-on', 'officer-off', 'officer-out'],
      unitId: 'unit-20',
    });
    await h.publish(Streams.DispatchEvents, event);
    const view = await waitFor(
      async () => {
        const reply = await h.notifications(event.data.incidentId);
        return reply.items.length > 0 && reply;
      },
      { description: 'the command of the assignment' },
    );
    expect(view.items.map((i) => i.userId)).toEqual(['officer-on']);
    const recipients = (await h.commandsFor(event.data.assignmentId)).map((c) => c.recipient.id);
    expect(recipients).toEqual(['officer-on']);
    expect(h.telegram.sentTo('5001')).toEqual([]);

    // A unit gone off duty pages nobody: the dispatcher hears so at once.
    await h.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.UnitStatusChanged,
        agencyId: h.agencyId,
        actor: { kind: 'user', id: 'dispatcher-1' },
        data: { unitId: 'unit-30', status: 'off_duty', changedAt: new Date().toISOString() },
      }),
    );
    const offDuty = h.assignment({ priority: 'P1', crew: ['officer-on'], unitId: 'unit-30' });
    await h.publish(Streams.DispatchEvents, offDuty);
    const unacknowledged = await waitFor(
      async () =>
        (
          await h.entries<AssignmentUnacknowledgedV1>(
            Streams.NotifyEvents,
            EventTypes.AssignmentUnacknowledged,
          )
        ).find((e) => e.envelope.data.assignmentId === offDuty.data.assignmentId),
      { description: 'assignment.unacknowledged for the off-duty unit' },
    );
    expect(unacknowledged.envelope.data.waitedMs).toBe(0);
    expect(await h.commandsFor(offDuty.data.assignmentId)).toEqual([]);
  }, 30_000);
});
