import { isRetryableTxError } from './database';

// runTransaction itself runs on real PostgreSQL: test/transaction.integration-spec.ts.
const sqlError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

describe('isRetryableTxError', () => {
  it('knows 40001 and 40P01, also wrapped by TypeORM', () => {
    expect(isRetryableTxError(sqlError('40001'))).toBe(true);
    expect(isRetryableTxError({ driverError: { code: '40P01' } })).toBe(true);
    expect(isRetryableTxError(sqlError('23505'))).toBe(false);
    expect(isRetryableTxError(undefined)).toBe(false);
  });
});
