import { matchUnits, unitFits } from './plan-matching';

describe('response plan matching', () => {
  const plan = [
    { unitType: 'engine', count: 2 },
    { unitType: 'ambulance', capabilities: ['als'], count: 1 },
  ];
  const unit = (unitId: string, type: string, capabilities: string[] = []) => ({
    unitId,
    type,
    capabilities,
  });

  it('needs the named type and every listed capability', () => {
    expect(unitFits(plan[1], unit('a', 'ambulance', ['als', 'bls']))).toBe(true);
    expect(unitFits(plan[1], unit('a', 'ambulance', ['bls']))).toBe(false);
    expect(unitFits(plan[1], unit('a', 'Engine', ['als']))).toBe(false);
    expect(unitFits({ count: 1 }, unit('x', 'anything'))).toBe(true);
  });

  it('counts each unit on one line at most, up to each count, the narrower line first', () => {
    const sut = matchUnits(
      [{ count: 1 }, { unitType: 'engine', count: 2 }],
      [unit('e1', 'engine'), unit('e2', 'engine'), unit('e3', 'engine')],
    );
    expect(sut.map((line) => line.map((u) => u.unitId))).toEqual([['e3'], ['e1', 'e2']]);
  });

  it('fills the narrowest line first so a general line never takes the only fitting unit', () => {
    const sut = matchUnits(
      [{ count: 1 }, { unitType: 'ambulance', capabilities: ['als'], count: 1 }],
      [unit('m1', 'ambulance', ['als']), unit('p1', 'patrol')],
    );
    expect(sut.map((line) => line.map((u) => u.unitId))).toEqual([['p1'], ['m1']]);
  });

  it('skips units already used elsewhere', () => {
    const used = new Set(['e1']);
    const sut = matchUnits(plan, [unit('e1', 'engine'), unit('m1', 'ambulance', ['als'])], used);
    expect(sut.map((line) => line.map((u) => u.unitId))).toEqual([[], ['m1']]);
    expect([...used].sort()).toEqual(['e1', 'm1']);
  });
});
