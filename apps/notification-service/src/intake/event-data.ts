import { parseEventData, type Envelope } from '@gad/contracts';
import { createLogger } from '@gad/observability';

const logger = createLogger('events');

/**
 * The envelope with its `data` validated against the registered schema. Invalid data throws: the
 * entry is retried and then dead-lettered, never acted on.
 */
export function validated<T>(envelope: Envelope): Envelope<T> {
  const parsed = parseEventData(envelope.type, envelope.version, envelope.data);
  if (!parsed.success) {
    logger.warn(
      { eventId: envelope.id, type: envelope.type, error: parsed.error },
      'invalid event',
    );
    throw new Error(`invalid ${envelope.type}@v${envelope.version}: ${parsed.error}`);
  }
  return { ...envelope, data: parsed.data as T };
}
