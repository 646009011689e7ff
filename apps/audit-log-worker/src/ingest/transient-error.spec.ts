import { isTransientDatabaseError } from './transient-error';

describe('isTransientDatabaseError', () => {
  it('recognises unavailability', () => {
    expect(
      isTransientDatabaseError(
        Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      ),
    ).toBe(true);
    expect(
      isTransientDatabaseError(
        Object.assign(new Error('terminating connection'), { code: '57P01' }),
      ),
    ).toBe(true);
    expect(isTransientDatabaseError(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isTransientDatabaseError({
        message: 'query failed',
        driverError: { code: '57014', message: 'canceling statement' },
      }),
    ).toBe(true);
  });

  it('does not excuse bad data', () => {
    expect(
      isTransientDatabaseError(
        Object.assign(new Error('invalid input syntax for type json'), { code: '22P02' }),
      ),
    ).toBe(false);
    expect(
      isTransientDatabaseError(Object.assign(new Error('duplicate key'), { code: '23505' })),
    ).toBe(false);
    expect(isTransientDatabaseError(new Error('boom'))).toBe(false);
    expect(isTransientDatabaseError('nope')).toBe(false);
  });
});
