/** SQLSTATE classes and codes, and Node socket errors, that mean "the database is unavailable now". */
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '57P'];
const TRANSIENT_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57014', // query_canceled (statement_timeout)
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const TRANSIENT_MESSAGE =
  /connection terminated|connection refused|timeout exceeded when trying to connect|Connection terminated unexpectedly|the database system is (starting up|shutting down)/i;

/**
 * True when `error` says the database is unreachable or overloaded rather than that the data is
 * bad: such a batch is retried later without spending the jobs' attempts.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const record = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
  };
  const code = typeof record.code === 'string' ? record.code : undefined;
  if (
    code &&
    (TRANSIENT_CODES.has(code) ||
      TRANSIENT_SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix)))
  ) {
    return true;
  }
  if (typeof record.message === 'string' && TRANSIENT_MESSAGE.test(record.message)) {
    return true;
  }
  return (
    (record.driverError !== undefined &&
      record.driverError !== error &&
      isTransientDatabaseError(record.driverError)) ||
    (record.cause !== undefined && record.cause !== error && isTransientDatabaseError(record.cause))
  );
}
