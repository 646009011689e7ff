import { createHmac } from 'node:crypto';
import { webhookSignature } from './webhook.channel';

describe('webhookSignature', () => {
  it('is the hex HMAC-SHA256 of "<timestamp>.<body>" with the secret', () => {
    const body = '{"type":"notification.command"}';
    const expected = createHmac('sha256', 'secret-1').update(`1763800000.${body}`).digest('hex');
    expect(webhookSignature('secret-1', '1763800000', body)).toBe(`sha256=${expected}`);
  });

  it('changes with the timestamp, so a replayed body with a new timestamp does not verify', () => {
    expect(webhookSignature('s', '1', 'b')).not.toBe(webhookSignature('s', '2', 'b'));
  });
});
