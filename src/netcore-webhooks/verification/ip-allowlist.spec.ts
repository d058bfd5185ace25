import { IpAllowlist } from './ip-allowlist';

describe('IpAllowlist', () => {
  const list = new IpAllowlist(['203.0.113.0/24', '198.51.100.7', '2001:db8::/32', '::1']);

  it.each([
    ['an IPv4 address inside a range', '203.0.113.200'],
    ['a single IPv4 address', '198.51.100.7'],
    ['an IPv6 address inside a range', '2001:db8:abcd::1'],
    ['the IPv6 loopback', '::1'],
    ['an IPv4-mapped IPv6 address of an allowed IPv4 address', '::ffff:203.0.113.9'],
  ])('allows %s', (_label, ip) => {
    expect(list.allows(ip)).toBe(true);
  });

  it.each([
    ['an IPv4 address outside every range', '203.0.114.1'],
    ['an IPv6 address outside every range', '2001:db9::1'],
    ['an IPv4-mapped address outside every range', '::ffff:10.0.0.1'],
    ['no address (socket already closed)', undefined],
    ['something that is not an address', 'localhost'],
  ])('refuses %s', (_label, ip) => {
    expect(list.allows(ip)).toBe(false);
  });

  it.each([
    ['a prefix too long for IPv4', '10.0.0.0/33', /\[0\] has a prefix length above 32/],
    ['a prefix too long for IPv6', '2001:db8::/129', /\[0\] has a prefix length above 128/],
    ['a host name', 'netcore.example', /\[0\] is not an IP address/],
    ['an abbreviated IPv4 form', '10.1', /\[0\] is not an IP address/],
    ['two slashes', '10.0.0.0/8/8', /\[0\] is not an IP address/],
    ['a number', 42, /\[0\] must be a string/],
  ])('refuses to be built with %s, naming its index', (_label, entry, message) => {
    expect(() => new IpAllowlist([entry])).toThrow(message);
  });
});
