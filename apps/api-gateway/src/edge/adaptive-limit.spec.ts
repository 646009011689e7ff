import { AdaptiveLimit } from './adaptive-limit';

/** Drives the limit with requests of a given latency, `concurrency` at a time, on a fake clock. */
function drive(
  sut: AdaptiveLimit,
  clock: { t: number },
  rttMs: number,
  concurrency: number,
  rounds: number,
) {
  let refused = 0;
  for (let round = 0; round < rounds; round += 1) {
    const releases = [];
    for (let i = 0; i < concurrency; i += 1) {
      const release = sut.tryAcquire();
      if (release) {
        releases.push(release);
      } else {
        refused += 1;
      }
    }
    clock.t += rttMs;
    for (const release of releases) {
      release();
    }
  }
  return refused;
}

describe('AdaptiveLimit', () => {
  const setup = (initial = 20) => {
    const clock = { t: 0 };
    const sut = new AdaptiveLimit({ initial, min: 2, max: 500, now: () => clock.t });
    return { sut, clock };
  };

  it('refuses requests beyond the limit and admits again once they finish', () => {
    const { sut } = setup(3);
    const admitted = [sut.tryAcquire(), sut.tryAcquire(), sut.tryAcquire()];
    expect(admitted.every(Boolean)).toBe(true);
    expect(sut.tryAcquire()).toBeUndefined();
    admitted[0]?.();
    admitted[0]?.(); // a second release of the same request changes nothing
    expect(sut.inFlight).toBe(2);
    expect(sut.tryAcquire()).toBeDefined();
  });

  it('grows while saturated and latency holds', () => {
    const { sut, clock } = setup(20);
    drive(sut, clock, 10, 200, 1_000);
    expect(sut.limit).toBeGreaterThan(100);
  });

  it('does not grow a limit nobody reaches', () => {
    const { sut, clock } = setup(20);
    drive(sut, clock, 10, 5, 500);
    expect(sut.limit).toBe(20);
  });

  it('shrinks when latency rises under load, and recovers when it falls', () => {
    const { sut, clock } = setup(100);
    drive(sut, clock, 10, 100, 300);
    const before = sut.limit;
    // The service behind slows down 5x: queueing, so the limit must come down.
    drive(sut, clock, 50, 300, 100);
    expect(sut.limit).toBeLessThan(before / 2);
    expect(drive(sut, clock, 50, 300, 1)).toBeGreaterThan(0);
    const low = sut.limit;
    drive(sut, clock, 10, 300, 300);
    expect(sut.limit).toBeGreaterThan(low);
  });

  it('backs off when requests time out upstream', () => {
    const { sut, clock } = setup(100);
    for (let i = 0; i < 20; i += 1) {
      const releases = Array.from({ length: 60 }, () => sut.tryAcquire());
      clock.t += 200;
      releases.forEach((release) => release?.(true));
    }
    expect(sut.limit).toBeLessThan(20);
    expect(sut.limit).toBeGreaterThanOrEqual(2);
  });
});
