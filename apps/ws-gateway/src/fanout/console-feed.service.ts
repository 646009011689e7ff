import { Injectable } from '@nestjs/common';
import type { CatchUpRequest, CatchUpResult } from '@gad/contracts';
import { compareFeedIds, ConsoleFeedRepository } from './console-feed.repository';

/** Default page of `catch_up`. */
export const CATCH_UP_PAGE = 200;

/**
 * Catch-up of a reconnected console: the agency's feed after the console's last event id, in feed
 * order and in pages, or `resync_required` when events after that id are no longer held (trimmed
 * past the window, or the feed itself is gone).
 */
@Injectable()
export class ConsoleFeedService {
  constructor(private readonly feed: ConsoleFeedRepository) {}

  async catchUp(agencyId: string, request: CatchUpRequest): Promise<CatchUpResult> {
    const { lastEventId } = request;
    if (lastEventId === undefined) {
      return {
        status: 'replay',
        events: [],
        lastEventId: await this.feed.newestId(agencyId),
        more: false,
      };
    }
    const limit = request.limit ?? CATCH_UP_PAGE;
    const range = await this.feed.after(agencyId, lastEventId, limit);
    if (!range.exists) {
      return lastEventId === '0-0'
        ? { status: 'replay', events: [], lastEventId, more: false }
        : { status: 'resync_required', reason: 'feed_reset', lastEventId: '0-0' };
    }
    if (compareFeedIds(lastEventId, range.lastId) > 0) {
      // An id the feed never gave out: the feed restarted (Redis lost it).
      return { status: 'resync_required', reason: 'feed_reset', lastEventId: range.lastId };
    }
    if (range.trimmed && compareFeedIds(range.firstId, lastEventId) > 0) {
      return { status: 'resync_required', reason: 'window_exceeded', lastEventId: range.lastId };
    }
    return {
      status: 'replay',
      events: range.entries,
      lastEventId: range.entries.at(-1)?.feedId ?? lastEventId,
      more: range.entries.length === limit,
    };
  }
}
