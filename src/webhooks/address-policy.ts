/**
 * Which addresses a webhook may reach (spec §9), decided on the address itself, however it was
 * written: ipaddr.js reads `2130706433`, `0x7f000001`, `127.1`, octal and `::ffff:127.0.0.1` as what
 * they are. Default deny: only plain public unicast passes (IPv6: global unicast 2000::/3); IPv6
 * forms that carry an IPv4 address (mapped, translated, NAT64) are judged by that address, and the
 * deprecated IPv4-compatible ::/96 never passes. `COHORT_WEBHOOK_ALLOW_HOSTS` opens chosen hosts and
 * ranges. Pure: no DNS, no sockets (guarded-http.ts resolves and connects).
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** `host` or `host:port` entries match the URL's hostname; `cidrs` match the address connected to. */
export interface AllowList {
  readonly hosts: readonly { readonly host: string; readonly port: number | null }[];
  /** Canonical `address/prefix` texts. */
  readonly cidrs: readonly string[];
}

export const NO_ALLOWANCES: AllowList = Object.freeze({ hosts: [], cidrs: [] });

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * ipaddr.js reads any IPv6 text with a dotted tail as IPv4-mapped (`::127.0.0.1` → `::ffff:7f00:1`),
 * but the socket would connect to the IPv4-compatible `::7f00:1`: write the tail as hex first.
 */
function parseAddress(text: string): Address | null {
  if (!ipaddr.isValid(text)) return null;
  const tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)(%.*)?$/.exec(text);
  if (tail && ipaddr.IPv4.isValidFourPartDecimal(tail[2]!)) {
    const [a = 0, b = 0, c = 0, d = 0] = ipaddr.IPv4.parse(tail[2]!).octets;
    text = `${tail[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}${tail[3] ?? ''}`;
  }
  return ipaddr.parse(text);
}

/** The IPv4 address an IPv6 form carries (mapped ::ffff:0:0/96, translated ::ffff:0:0:0/96, NAT64 64:ff9b::/96), if any. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = ip.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || ip.match(NAT64_WELL_KNOWN)) {
    const b = ip.toByteArray();
    return new ipaddr.IPv4(b.slice(12));
  }
  return null;
}

/**
 * Why an address may not be reached (the ipaddr.js range name, e.g. `loopback`, `private`,
 * `linkLocal`), or null when it is public unicast. Anything that is not an address is `invalid`.
 */
export function blockedRange(address: string): string | null {
  const ip = parseAddress(address);
  if (ip === null) return 'invalid';
  if (ip.kind() === 'ipv4') {
    const range = ip.range();
    return range === 'unicast' ? null : range;
  }
  const v6 = ip as ipaddr.IPv6;
  const v4 = embeddedIPv4(v6);
  if (v4) return blockedRange(v4.toString());
  const range = v6.range();
  if (range !== 'unicast') return range;
  if (v6.match(IPV4_COMPATIBLE)) return 'ipv4Compatible';
  return v6.match(GLOBAL_UNICAST_V6) ? null : 'reserved';
}

const RANGE_WORDS: Record<string, string> = {
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local',
  carrierGradeNat: 'carrier-grade NAT',
  ipv4Compatible: 'IPv4-compatible (deprecated)',
  deprecatedSiteLocal: 'site-local (deprecated)',
};
/** A range name for people: "a loopback address", "a link-local address". */
export const describeRange = (range: string): string => (range === 'invalid' ? 'not an address' : `a ${RANGE_WORDS[range] ?? range} address`);

/** True when one of the allow list's ranges holds the address (or the IPv4 address it carries). */
export function addressAllowed(address: string, allow: AllowList): boolean {
  const ip = allow.cidrs.length === 0 ? null : parseAddress(address);
  if (ip === null) return false;
  const forms: Address[] = [ip];
  if (ip.kind() === 'ipv6') {
    const v4 = embeddedIPv4(ip as ipaddr.IPv6);
    if (v4) forms.push(v4);
  }
  return compiled(allow).some((range) => forms.some((f) => f.kind() === range[0].kind() && f.match(range)));
}

/** Why the address is refused under this allow list, or null when it may be reached. */
export function refusal(address: string, allow: AllowList): string | null {
  const range = blockedRange(address);
  return range === null || addressAllowed(address, allow) ? null : range;
}

/** True when a `host` or `host:port` entry names this URL hostname (case-insensitive, exact) and port. */
export function hostAllowed(hostname: string, port: number, allow: AllowList): boolean {
  if (allow.hosts.length === 0) return false;
  const host = canonicalHost(hostname);
  return allow.hosts.some((e) => e.host === host && (e.port === null || e.port === port));
}

/** Lower case, no brackets or trailing dot; an IP address in its canonical text. */
export function canonicalHost(hostname: string): string {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  return isIP(bare) ? ipaddr.parse(bare).toString() : bare;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Parses `COHORT_WEBHOOK_ALLOW_HOSTS`: comma-separated `host`, `host:port` (IPv6 as `[::1]:8080`) or
 * CIDR (`10.0.0.0/8`, `fd00::/8`); a bare address is its own one-address range. Answers every
 * invalid entry. Addresses must be written plainly (dotted-decimal IPv4): `2130706433` is refused
 * here rather than guessed at.
 */
export function parseAllowList(text: string | undefined): { ok: true; allow: AllowList } | { ok: false; invalid: string[] } {
  const hosts: { host: string; port: number | null }[] = [];
  const cidrs: string[] = [];
  const invalid: string[] = [];
  for (const raw of (text ?? '').split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const parsed = parseEntry(entry.toLowerCase());
    if (parsed === null) invalid.push(entry);
    else if ('cidr' in parsed) cidrs.push(parsed.cidr);
    else hosts.push(parsed);
  }
  if (invalid.length > 0) return { ok: false, invalid };
  return { ok: true, allow: Object.freeze({ hosts: Object.freeze(hosts), cidrs: Object.freeze(cidrs) }) };
}

function parseEntry(entry: string): { cidr: string } | { host: string; port: number | null } | null {
  if (entry.includes('/')) {
    const [address = '', prefix = ''] = entry.split('/');
    if (!isIP(address) || !/^\d{1,3}$/.test(prefix) || !ipaddr.isValidCIDR(entry)) return null;
    const [ip, bits] = ipaddr.parseCIDR(entry);
    return { cidr: `${ip.toString()}/${bits}` };
  }
  if (isIP(entry)) return { cidr: `${ipaddr.parse(entry).toString()}/${isIP(entry) === 4 ? 32 : 128}` };
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    const [, address = '', port] = bracketed;
    if (isIP(address) !== 6) return null;
    return withPort(ipaddr.parse(address).toString(), port);
  }
  const [host = '', port, ...rest] = entry.split(':');
  if (rest.length > 0) return null;
  const name = host.replace(/\.$/, '');
  // A name ipaddr.js would read as an address (`2130706433`, `0x7f.1`) is ambiguous: say it plainly.
  if (!isIP(name) && (ipaddr.isValid(name) || /^[0-9.]+$/.test(name) || !HOSTNAME.test(name))) return null;
  return withPort(isIP(name) ? ipaddr.parse(name).toString() : name, port);
}

function withPort(host: string, port: string | undefined): { host: string; port: number | null } | null {
  if (port === undefined) return { host, port: null };
  const n = /^\d{1,5}$/.test(port) ? Number(port) : 0;
  return n >= 1 && n <= 65_535 ? { host, port: n } : null;
}

/** Parsed ranges per allow list (allow lists are frozen values made once at start). */
const ranges = new WeakMap<AllowList, [Address, number][]>();
function compiled(allow: AllowList): [Address, number][] {
  let r = ranges.get(allow);
  if (!r) {
    r = allow.cidrs.map((c) => ipaddr.parseCIDR(c));
    ranges.set(allow, r);
  }
  return r;
}
