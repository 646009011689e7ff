import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows the burst, then refills at the rate', () => {
    const sut = new TokenBucket(20, 20, 0);
    const taken = Array.from({ length: 25 }, () => sut.take(0)).filter(Boolean).length;
    expect(taken).toBe(20);
    expect(sut.take(10)).toBe(false);
    expect(sut.take(50)).toBe(true);
    expect(sut.take(50)).toBe(false);
  });

  it('never holds more than the burst', () => {
    const sut = new TokenBucket(20, 5, 0);
    const taken = Array.from({ length: 10 }, () => sut.take(60_000)).filter(Boolean).length;
    expect(taken).toBe(5);
  });

  it('counts strikes per window', () => {
    const sut = new TokenBucket(1, 1, 0);
    expect(sut.strike(1, 1000)).toBe(1);
    expect(sut.strike(2, 1000)).toBe(2);
    expect(sut.strike(5000, 1000)).toBe(1);
  });
});
