import { HealthRegistry } from './health.registry';

describe('HealthRegistry', () => {
  it('reports ok with every check up', async () => {
    const sut = new HealthRegistry();
    sut.register('postgres', async () => undefined);

    const report = await sut.readiness();

    expect(report.status).toBe('ok');
    expect(report.checks['postgres']).toMatchObject({ status: 'up' });
  });

  it('reports a failing check with its message', async () => {
    const sut = new HealthRegistry();
    sut.register('postgres', async () => undefined);
    sut.register('redis', async () => {
      throw new Error('connection refused');
    });

    const report = await sut.readiness();

    expect(report.status).toBe('error');
    expect(report.checks['redis']).toMatchObject({ status: 'down', error: 'connection refused' });
  });

  it('fails a check that does not settle within its timeout', async () => {
    const sut = new HealthRegistry();
    sut.register('stuck', () => new Promise<void>(() => undefined), { timeoutMs: 20 });

    const report = await sut.readiness();

    expect(report.checks['stuck']).toMatchObject({
      status: 'down',
      error: 'timed out after 20 ms',
    });
  });

  it('reports shutting_down once marked', async () => {
    const sut = new HealthRegistry();
    sut.markShuttingDown();

    expect((await sut.readiness()).status).toBe('shutting_down');
  });
});
