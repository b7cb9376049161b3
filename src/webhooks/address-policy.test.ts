import { describe, expect, it } from 'vitest';
import { addressAllowed, blockedRange, hostAllowed, NO_ALLOWANCES, parseAllowList, refusal, type AllowList } from './address-policy.ts';

const allowList = (text: string): AllowList => {
  const parsed = parseAllowList(text);
  if (!parsed.ok) throw new Error(`invalid: ${parsed.invalid.join(', ')}`);
  return parsed.allow;
};

describe('blockedRange: every spelling of a closed address is closed (spec §9)', () => {
  it.each<[string, string]>([
    // IPv4 loopback, however written
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['2130706433', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['127.1', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['017700000001', 'loopback'],
    // private, shared, link-local (cloud metadata), unspecified, multicast, broadcast, reserved
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['3232235777', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['169.254.169.254', 'linkLocal'],
    ['0xa9fea9fe', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    // IPv6
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456:789a::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['febf::1', 'linkLocal'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['ff02::1', 'multicast'],
    ['100::1', 'discard'],
    ['2001:db8::1', 'reserved'],
    ['1::1', 'reserved'],
    // IPv6 forms that carry a closed IPv4 address
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:0001', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'linkLocal'],
    ['64:ff9b::192.168.0.1', 'private'],
    // deprecated IPv4-compatible, local-use NAT64, 6to4, Teredo: never reached
    ['::127.0.0.1', 'ipv4Compatible'],
    ['::7f00:1', 'ipv4Compatible'],
    ['::8.8.8.8', 'ipv4Compatible'],
    ['::0.0.0.2', 'ipv4Compatible'],
    ['64:ff9b:1::7f00:1', 'rfc6052'],
    ['2002:7f00:1::1', '6to4'],
    ['2001::1', 'teredo'],
    // not addresses at all
    ['localhost', 'invalid'],
    ['', 'invalid'],
    ['127.0.0.1.', 'invalid'],
    ['[::1]', 'invalid'],
  ])('%s is %s', (address, range) => {
    expect(blockedRange(address)).toBe(range);
    expect(refusal(address, NO_ALLOWANCES)).toBe(range);
  });

  it.each(['8.8.8.8', '93.184.216.34', '1.1.1.1', '100.63.255.255', '100.128.0.1', '172.15.255.255', '172.32.0.1', '169.253.255.255', '223.255.255.255', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    '%s is public unicast',
    (address) => {
      expect(blockedRange(address)).toBeNull();
      expect(refusal(address, NO_ALLOWANCES)).toBeNull();
    },
  );
});

describe('COHORT_WEBHOOK_ALLOW_HOSTS', () => {
  it('reads hosts, host:port, CIDRs and bare addresses; empty entries are ignored', () => {
    expect(parseAllowList('Hooks.Internal, localhost:8080, 127.0.0.1/32 ,10.0.0.0/8, fd00::/8, ::1, 192.168.1.5, 127.0.0.1:9000, [::1]:9001, [fe80::1],,')).toEqual({
      ok: true,
      allow: {
        hosts: [
          { host: 'hooks.internal', port: null },
          { host: 'localhost', port: 8080 },
          { host: '127.0.0.1', port: 9000 },
          { host: '::1', port: 9001 },
          { host: 'fe80::1', port: null },
        ],
        cidrs: ['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8', '::1/128', '192.168.1.5/32'],
      },
    });
    expect(parseAllowList(undefined)).toEqual({ ok: true, allow: { hosts: [], cidrs: [] } });
    expect(parseAllowList(' ')).toEqual({ ok: true, allow: { hosts: [], cidrs: [] } });
  });

  it('lists every invalid entry', () => {
    expect(parseAllowList('ok.example, 10.0.0.0/33, host:0, host:99999, a b, http://x, 2130706433, 0x7f.1, 127.1, 127.1/32, fd00::/129, [not-v6]:80, a:b:c, -bad.example, /8, host:')).toEqual({
      ok: false,
      invalid: ['10.0.0.0/33', 'host:0', 'host:99999', 'a b', 'http://x', '2130706433', '0x7f.1', '127.1', '127.1/32', 'fd00::/129', '[not-v6]:80', 'a:b:c', '-bad.example', '/8', 'host:'],
    });
  });

  it.each<[string, string, number, boolean]>([
    ['hooks.internal', 'hooks.internal', 443, true],
    ['hooks.internal', 'HOOKS.INTERNAL.', 80, true],
    ['hooks.internal', 'a.hooks.internal', 443, false],
    ['hooks.internal', 'hooks.internal.evil.example', 443, false],
    ['localhost:8080', 'localhost', 8080, true],
    ['localhost:8080', 'localhost', 8081, false],
    ['127.0.0.1:9000', '127.0.0.1', 9000, true],
    ['127.0.0.1:9000', '127.0.0.1', 9001, false],
    ['[::1]:9001', '[::1]', 9001, true],
    ['[::1]:9001', '::1', 9001, true],
    ['[::1]:9001', '[0:0::1]', 9001, true],
    // A CIDR or bare address names addresses, not URL hosts: it is matched after resolution.
    ['127.0.0.1/32', '127.0.0.1', 80, false],
    ['127.0.0.1', '127.0.0.1', 80, false],
  ])('host entry %s, URL host %s:%i → %s', (entry, hostname, port, allowed) => {
    expect(hostAllowed(hostname, port, allowList(entry))).toBe(allowed);
  });

  it.each<[string, string, boolean]>([
    ['127.0.0.1/32', '127.0.0.1', true],
    ['127.0.0.1/32', '127.0.0.2', false],
    ['127.0.0.1/32', '::ffff:127.0.0.1', true],
    ['127.0.0.0/8', '127.9.9.9', true],
    ['127.0.0.1', '127.0.0.1', true],
    ['10.0.0.0/8', '10.200.0.1', true],
    ['10.0.0.0/8', '172.16.0.1', false],
    ['::1/128', '::1', true],
    ['::1', '::1', true],
    ['::1/128', '127.0.0.1', false],
    ['fd00::/8', 'fd00::42', true],
    ['fd00::/8', 'fc00::42', false],
    ['hooks.internal', '10.0.0.1', false],
  ])('CIDR entry %s, address %s → %s', (entry, address, allowed) => {
    const allow = allowList(entry);
    expect(addressAllowed(address, allow)).toBe(allowed);
    expect(refusal(address, allow) === null).toBe(allowed);
  });
});
