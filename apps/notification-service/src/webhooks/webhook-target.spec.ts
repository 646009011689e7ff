import {
  WebhookTargetError,
  isForbiddenAddress,
  parseWebhookTarget,
  resolveWebhookTarget,
  type Resolver,
} from './webhook-target';

const resolvingTo =
  (...addresses: string[]): Resolver =>
  () =>
    Promise.resolve(
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );

describe('webhook targets', () => {
  it.each([
    '127.0.0.1',
    '::1',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    'fe80::1',
    '100.64.0.1',
    '0.0.0.0',
    '::',
    '224.0.0.1',
    'ff02::1',
    'fd00:ec2::254',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    '2002:a00:1::',
    '255.255.255.255',
    'not-an-ip',
  ])('forbids %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '172.32.0.1', '2001:4860:4860::8888'])('allows %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it('takes https only, without credentials, and reads IPv6 literals', () => {
    expect(() => parseWebhookTarget('http://example.com/')).toThrow(WebhookTargetError);
    expect(() => parseWebhookTarget('https://user:pw@example.com/')).toThrow(WebhookTargetError);
    expect(parseWebhookTarget('https://[::1]:8443/x')).toMatchObject({
      host: '::1',
      literal: true,
    });
    // Integer and hex forms of an IPv4 address are normalised by the URL parser.
    expect(parseWebhookTarget('https://2130706433/')).toMatchObject({
      host: '127.0.0.1',
      literal: true,
    });
    expect(parseWebhookTarget('https://0x7f.1/').host).toBe('127.0.0.1');
  });

  it('refuses a name when any address it resolves to is forbidden', async () => {
    const sut = parseWebhookTarget('https://hooks.example.com/x');
    await expect(resolveWebhookTarget(sut, [], resolvingTo('8.8.8.8'))).resolves.toEqual([
      { address: '8.8.8.8', family: 4 },
    ]);
    await expect(
      resolveWebhookTarget(sut, [], resolvingTo('8.8.8.8', '127.0.0.1')),
    ).rejects.toThrow(/127\.0\.0\.1/);
    await expect(resolveWebhookTarget(sut, [], resolvingTo('fe80::1'))).rejects.toThrow(
      WebhookTargetError,
    );
  });

  it('refuses a name that does not resolve', async () => {
    const sut = parseWebhookTarget('https://nowhere.invalid/');
    const failing: Resolver = () =>
      Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    await expect(resolveWebhookTarget(sut, [], failing)).rejects.toThrow(/ENOTFOUND/);
    await expect(resolveWebhookTarget(sut, [], resolvingTo())).rejects.toThrow(WebhookTargetError);
  });

  it('lets an allow-listed host be private, and only that host', async () => {
    const internal = parseWebhookTarget('https://hooks.agency.internal/x');
    await expect(
      resolveWebhookTarget(internal, ['HOOKS.agency.internal'], resolvingTo('10.0.0.5')),
    ).resolves.toHaveLength(1);
    await expect(
      resolveWebhookTarget(internal, ['other.agency.internal'], resolvingTo('10.0.0.5')),
    ).rejects.toThrow(WebhookTargetError);
    await expect(
      resolveWebhookTarget(parseWebhookTarget('https://[::1]/'), ['[::1]']),
    ).resolves.toEqual([{ address: '::1', family: 6 }]);
  });
});
