import type { BusContext } from '@gad/bus';
import type { z } from 'zod';
import { NotifyException, NotifyExceptionCode } from '../notify.exception';

/** Envelope agency of internal calls made without a tenant (`BusClient.request` default). */
const SYSTEM_AGENCY = 'system';

/**
 * Validates the request and checks that the agency it names is the caller's (the request envelope's),
 * unless an internal service calls for the system.
 */
export function parseRpcRequest<S extends z.ZodType<{ agencyId: string }>>(
  schema: S,
  payload: unknown,
  ctx: BusContext,
): z.infer<S> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new NotifyException(NotifyExceptionCode.ValidationFailed, 422, parsed.error.message);
  }
  const caller = ctx.getEnvelope().agencyId;
  if (caller !== SYSTEM_AGENCY && caller !== parsed.data.agencyId) {
    throw new NotifyException(
      NotifyExceptionCode.Forbidden,
      403,
      'the request names another agency than the caller',
    );
  }
  return parsed.data;
}
