import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** Why a webhook target is refused (the message says which rule). */
export class WebhookTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookTargetError';
  }
}

/** One resolved address of a target host. */
export interface TargetAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (host: string) => Promise<TargetAddress[]>;

/** The system resolver, every address (A and AAAA) of `host`. */
export const systemResolver: Resolver = async (host) => {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/**
 * True for any address that is not global unicast: loopback, private (RFC 1918), unique local,
 * link-local (metadata 169.254.169.254 included), CGNAT, unspecified, broadcast, multicast,
 * reserved and documentation ranges, and IPv6 forms embedding an IPv4 address (mapped addresses
 * are judged as the IPv4 address they carry; NAT64, 6to4 and Teredo are refused).
 */
export function isForbiddenAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) {
    return true;
  }
  return ipaddr.process(address).range() !== 'unicast';
}

/** A parsed https target: `host` without IPv6 brackets, lower case; `literal` for an IP host. */
export interface WebhookTarget {
  url: URL;
  host: string;
  literal: boolean;
}

/** Only `https://` URLs without credentials. */
export function parseWebhookTarget(raw: string): WebhookTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetError('not a URL');
  }
  if (url.protocol !== 'https:') {
    throw new WebhookTargetError('webhook targets must be https');
  }
  if (url.username || url.password) {
    throw new WebhookTargetError('webhook URLs must not carry credentials');
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return { url, host, literal: ipaddr.isValid(host) };
}

/** True when the agency allow-lists `host` (exact host name or IP literal, case-insensitive). */
export function isAllowListed(target: WebhookTarget, allowedHosts: readonly string[]): boolean {
  return allowedHosts.some((h) => h.replace(/^\[(.*)\]$/, '$1').toLowerCase() === target.host);
}

/**
 * The addresses to connect to for `target`: the literal itself, or every address the name resolves
 * to. Unless the host is allow-listed, any forbidden address refuses the target (a name with one
 * private address among public ones is refused: the connection must go to a checked address).
 */
export async function resolveWebhookTarget(
  target: WebhookTarget,
  allowedHosts: readonly string[],
  resolver: Resolver = systemResolver,
): Promise<TargetAddress[]> {
  const allowed = isAllowListed(target, allowedHosts);
  let addresses: TargetAddress[];
  if (target.literal) {
    addresses = [{ address: target.host, family: target.host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await resolver(target.host);
    } catch (error) {
      throw new WebhookTargetError(
        `${target.host} does not resolve: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    if (addresses.length === 0) {
      throw new WebhookTargetError(`${target.host} does not resolve`);
    }
  }
  if (!allowed) {
    const forbidden = addresses.find((a) => isForbiddenAddress(a.address));
    if (forbidden) {
      throw new WebhookTargetError(
        `${target.host} is (or resolves to) ${forbidden.address}, a loopback, private, link-local or otherwise non-public address`,
      );
    }
  }
  return addresses;
}
