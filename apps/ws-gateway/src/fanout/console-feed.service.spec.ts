import type { Envelope } from '@gad/contracts';
import type { ConsoleFeedRepository, FeedRange } from './console-feed.repository';
import { compareFeedIds } from './console-feed.repository';
import { ConsoleFeedService } from './console-feed.service';

const entry = (feedId: string) => ({ feedId, event: { id: feedId } as unknown as Envelope });

describe('ConsoleFeedService.catchUp', () => {
  let range: FeedRange;
  let newest = '0-0';
  const after = jest.fn(async (_agency: string, _id: string, _limit: number) => range);
  const repository = {
    after,
    newestId: async () => newest,
  } as unknown as ConsoleFeedRepository;
  const sut = new ConsoleFeedService(repository);

  beforeEach(() => {
    after.mockClear();
    range = { entries: [], lastId: '0-0', firstId: '0-0', trimmed: false, exists: true };
  });

  it('without an id replays nothing and names the newest id', async () => {
    newest = '1700-3';
    expect(await sut.catchUp('a', {})).toEqual({
      status: 'replay',
      events: [],
      lastEventId: '1700-3',
      more: false,
    });
    expect(after).not.toHaveBeenCalled();
  });

  it('replays the entries after the id and says when a page is full', async () => {
    range = {
      entries: [entry('1700-1'), entry('1700-2')],
      lastId: '1800-0',
      firstId: '1600-0',
      trimmed: true,
      exists: true,
    };
    expect(await sut.catchUp('a', { lastEventId: '1700-0', limit: 2 })).toEqual({
      status: 'replay',
      events: range.entries,
      lastEventId: '1700-2',
      more: true,
    });
    expect(after).toHaveBeenCalledWith('a', '1700-0', 2);
  });

  it('answers the id itself when nothing followed it', async () => {
    range = { ...range, lastId: '1700-0', firstId: '1600-0' };
    expect(await sut.catchUp('a', { lastEventId: '1700-0' })).toMatchObject({
      status: 'replay',
      events: [],
      lastEventId: '1700-0',
      more: false,
    });
  });

  it('asks for a resync when events after the id were trimmed', async () => {
    range = {
      ...range,
      entries: [entry('1900-0')],
      lastId: '1900-0',
      firstId: '1900-0',
      trimmed: true,
    };
    expect(await sut.catchUp('a', { lastEventId: '1700-0' })).toEqual({
      status: 'resync_required',
      reason: 'window_exceeded',
      lastEventId: '1900-0',
    });
  });

  it('replays an untrimmed feed from its start (an id older than its first entry)', async () => {
    range = { ...range, entries: [entry('1900-0')], lastId: '1900-0', firstId: '1900-0' };
    expect(await sut.catchUp('a', { lastEventId: '0-0' })).toMatchObject({ status: 'replay' });
  });

  it('asks for a resync when the id is newer than the feed, or the feed is gone', async () => {
    range = { ...range, lastId: '1700-0' };
    expect(await sut.catchUp('a', { lastEventId: '1800-0' })).toEqual({
      status: 'resync_required',
      reason: 'feed_reset',
      lastEventId: '1700-0',
    });
    range = { ...range, exists: false, lastId: '0-0' };
    expect(await sut.catchUp('a', { lastEventId: '1800-0' })).toEqual({
      status: 'resync_required',
      reason: 'feed_reset',
      lastEventId: '0-0',
    });
    expect(await sut.catchUp('a', { lastEventId: '0-0' })).toMatchObject({ status: 'replay' });
  });
});

describe('compareFeedIds', () => {
  it('orders by time, then sequence, numerically', () => {
    expect(compareFeedIds('999-5', '1000-0')).toBeLessThan(0);
    expect(compareFeedIds('1000-10', '1000-9')).toBeGreaterThan(0);
    expect(compareFeedIds('1000-1', '1000-1')).toBe(0);
  });
});
