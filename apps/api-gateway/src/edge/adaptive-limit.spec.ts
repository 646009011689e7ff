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

/**
 * Offers `rate` requests a second for `seconds` to a service of `freeAt.length` workers taking
 * `serviceMs` each, first come first served behind the limit (its latency is its own queueing), on
 * the fake clock. Returns the latencies of the admitted requests and the count refused.
 */
function offer(
  sut: AdaptiveLimit,
  clock: { t: number },
  service: {
    serviceMs: number;
    freeAt: number[];
    running: { finish: number; release: (dropped?: boolean) => void }[];
  },
  rate: number,
  seconds: number,
) {
  const latencies: number[] = [];
  const { running } = service;
  let refused = 0;
  const end = clock.t + seconds * 1_000;
  for (let arrival = clock.t; arrival < end; arrival += 1_000 / rate) {
    running.sort((a, b) => a.finish - b.finish);
    while (running.length > 0 && (running[0]?.finish ?? Infinity) <= arrival) {
      const done = running.shift();
      clock.t = done?.finish ?? arrival;
      done?.release();
    }
    clock.t = arrival;
    const release = sut.tryAcquire();
    if (!release) {
      refused += 1;
      continue;
    }
    const worker = service.freeAt.indexOf(Math.min(...service.freeAt));
    const finish = Math.max(arrival, service.freeAt[worker] ?? arrival) + service.serviceMs;
    service.freeAt[worker] = finish;
    running.push({ finish, release });
    latencies.push(finish - arrival);
  }
  return { latencies, refused };
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

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

  it('keeps the latency it admits through a sustained overload', () => {
    const clock = { t: 0 };
    const sut = new AdaptiveLimit({ initial: 32, min: 4, max: 256, now: () => clock.t });
    // 8 workers of 10 ms: 800 requests a second at most.
    const service = { serviceMs: 10, freeAt: Array<number>(8).fill(0), running: [] };
    offer(sut, clock, service, 240, 10);
    const overload = offer(sut, clock, service, 2_400, 30);
    expect(overload.refused).toBeGreaterThan(0);
    // The last 10 s of 30 s at 3x: admitted requests wait at most about as long as the
    // limit's tolerance allows, instead of the target drifting up with the queue it admits.
    const lastTenSeconds = overload.latencies.slice(-8_000);
    expect(mean(lastTenSeconds)).toBeLessThan(3 * service.serviceMs);
    expect(sut.limit).toBeLessThan(64);
    // And once the overload has drained (a second), everything is admitted again.
    offer(sut, clock, service, 240, 1);
    expect(offer(sut, clock, service, 240, 10).refused).toBe(0);
  });

  it('follows a service that got slower for good instead of shedding nearly everything', () => {
    const { sut, clock } = setup(100);
    drive(sut, clock, 10, 100, 300);
    const before = sut.limit;
    // Every request now takes 4x as long, however few are in flight: not our queueing.
    drive(sut, clock, 40, 300, 100);
    expect(sut.limit).toBeLessThan(before / 2);
    drive(sut, clock, 40, 300, 2_000);
    expect(sut.limit).toBeGreaterThan(before / 2);
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
