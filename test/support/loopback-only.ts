/**
 * A safety net under the webhook guard's tests: while installed, no socket of this process may
 * connect anywhere but loopback. The tests aim the guard at private and public addresses on purpose;
 * if a regression ever let one through, the connection would leave this machine. This vetoes it one
 * level below the guard (net.Socket#connect, which net.connect and tls.connect both go through): an
 * address written out is checked as given, and a host name's lookup answers are checked before the
 * socket may use them. A veto is an error on that socket (the test then fails), never a packet.
 */
import type { LookupAddress } from 'node:dns';
import { Socket, isIP } from 'node:net';

const isLoopback = (address: string): boolean => /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);

type LookupFn = (hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => void;

/** Installs the net; returns a function that removes it, and the list of vetoed targets. */
export function installLoopbackOnly(): { vetoed: string[]; uninstall: () => void } {
  const original = Socket.prototype.connect;
  const vetoed: string[] = [];
  const refuse = (socket: Socket, target: string): Socket => {
    vetoed.push(target);
    process.nextTick(() => socket.destroy(new Error(`test safety net: refused a connection to ${target}, which is not loopback`)));
    return socket;
  };
  Socket.prototype.connect = function connect(this: Socket, ...args: unknown[]): Socket {
    // net.connect and tls.connect pass their arguments already normalised: an array [options, callback].
    const holder: unknown[] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    const first = holder[0];
    // A path (a Unix socket) or a port number alone (localhost) stay on the machine.
    if (first === null || typeof first !== 'object' || 'path' in (first as object)) return (original as (...a: unknown[]) => Socket).apply(this, args);
    const options = first as { host?: string; lookup?: LookupFn };
    const host = (options.host ?? 'localhost').replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) && !isLoopback(host)) return refuse(this, host);
    if (!isIP(host)) {
      const lookup = options.lookup;
      const checked: LookupFn = (hostname, o, callback) => {
        const answer = (err: Error | null, address: string | LookupAddress[], family?: number) => {
          const all = typeof address === 'string' ? [address] : (address ?? []).map((a) => a.address);
          const outside = err ? undefined : all.find((a) => !isLoopback(a));
          if (outside !== undefined) {
            vetoed.push(`${hostname} → ${outside}`);
            return callback(new Error(`test safety net: ${hostname} resolved to ${outside}, which is not loopback`), []);
          }
          callback(err, address, family);
        };
        if (lookup) lookup(hostname, o, answer);
        else answer(hostname === 'localhost' ? null : new Error(`test safety net: no resolver for ${hostname}`), hostname === 'localhost' ? '127.0.0.1' : [], 4);
      };
      holder[0] = { ...options, lookup: checked };
    }
    return (original as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
  return { vetoed, uninstall: () => void (Socket.prototype.connect = original) };
}
