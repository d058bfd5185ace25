import * as ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses `'203.0.113.7'`, `'203.0.113.0/24'`, `'2001:db8::/32'`; throws a message fit for a start-up error. */
export function parseIpAllowlistEntry(entry: unknown): Range {
  if (typeof entry !== 'string') throw new Error('must be a string');
  const text = entry.trim();
  const [address, bits, extra] = text.split('/');
  // ipaddr.js also reads '10.1' or '0x7f.1' as IPv4; configuration must say exactly what it means.
  const strict = ipaddr.IPv4.isValidFourPartDecimal(address) || (address.includes(':') && ipaddr.IPv6.isValid(address));
  if (!strict || extra !== undefined || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
    throw new Error('is not an IP address or CIDR range');
  }
  const parsed = ipaddr.parse(address);
  const max = parsed.kind() === 'ipv4' ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) throw new Error(`has a prefix length above ${max}`);
  return [parsed, prefix];
}

/** A list of allowed source ranges; IPv4-mapped IPv6 addresses (`::ffff:203.0.113.7`) match IPv4 ranges. */
export class IpAllowlist {
  private readonly ranges: Range[];

  constructor(entries: readonly unknown[]) {
    this.ranges = entries.map((entry, i) => {
      try {
        return parseIpAllowlistEntry(entry);
      } catch (error) {
        throw new Error(`[${i}] ${(error as Error).message} (got ${JSON.stringify(entry)})`);
      }
    });
  }

  allows(ip: string | undefined): boolean {
    if (!ip || !ipaddr.isValid(ip)) return false;
    const address = ipaddr.parse(ip);
    const candidates = [address];
    if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
      candidates.push((address as ipaddr.IPv6).toIPv4Address());
    }
    return candidates.some((candidate) =>
      this.ranges.some(([range, bits]) => candidate.kind() === range.kind() && candidate.match(range, bits)),
    );
  }
}
