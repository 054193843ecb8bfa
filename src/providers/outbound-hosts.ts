/**
 * @module providers/outbound-hosts — where vendor calls may go. Unless the server allows private
 * hosts (ROLLCALL_ALLOW_PRIVATE_GATEWAY_HOSTS), a gateway may not reach loopback, link-local,
 * private, unspecified or carrier-grade NAT addresses (nor their IPv4-mapped IPv6 forms), so a
 * project admin cannot point a gateway at the server's own network. The check runs on every
 * address the host name resolves to, and the connection is made to an address that was checked
 * (the lookup handed to the socket is the checking one), so DNS rebinding cannot slip past it.
 */
import dns from 'node:dns';
import net from 'node:net';

/** The outbound host policy the providers are given. */
export interface HostPolicy {
  readonly allowPrivate: boolean;
}

export function hostPolicy(allowPrivate: boolean): HostPolicy {
  return Object.freeze({ allowPrivate });
}

/** A connection refused by the policy; its message is the plain reason kept on the message. */
export class HostRefusedError extends Error {
  readonly code = 'ROLLCALL_HOST_REFUSED';
  constructor(host: string, address: string) {
    const shown = host === address ? host : `${host} (${address})`;
    super(`The gateway's host ${shown} is a private address; this server does not send to private addresses (ROLLCALL_ALLOW_PRIVATE_GATEWAY_HOSTS).`);
    this.name = 'HostRefusedError';
  }
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** [network, prefix length] of the IPv4 ranges refused. */
const PRIVATE_V4: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network", including 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
];

function isPrivateV4(ip: string): boolean {
  const n = ipv4Number(ip);
  return PRIVATE_V4.some(([net4, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(ipv4Number(net4) / 2 ** (32 - bits)));
}

/** The 8 groups of an IPv6 address as numbers (an embedded IPv4 tail becomes two groups). */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4Number(v4[1] as string);
    text = `${text.slice(0, -(v4[1] as string).length)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16));
}

function isPrivateV6(ip: string): boolean {
  const g = ipv6Groups(ip);
  const first = g[0] ?? 0;
  if (g.slice(0, 7).every((x) => x === 0) && (g[7] === 0 || g[7] === 1)) {
    return true; // :: unspecified, ::1 loopback
  }
  if ((first & 0xffc0) === 0xfe80 || (first & 0xfe00) === 0xfc00) {
    return true; // fe80::/10 link-local, fc00::/7 unique local
  }
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible): judged as the IPv4 address.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    const hi = g[6] ?? 0;
    const lo = g[7] ?? 0;
    return isPrivateV4(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return false;
}

/** True for loopback, link-local, private, unspecified and CGNAT addresses (v4, v6, v4-mapped v6). */
export function isPrivateAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '');
  const kind = net.isIP(bare.replace(/%.*$/, ''));
  return kind === 4 ? isPrivateV4(bare) : kind === 6 ? isPrivateV6(bare) : false;
}

/** The refusal for a literal address the policy does not allow, else null (names stay unjudged). */
export function literalHostRefusal(policy: HostPolicy, host: string): HostRefusedError | null {
  const bare = host.replace(/^\[|\]$/g, '');
  return !policy.allowPrivate && isPrivateAddress(bare) ? new HostRefusedError(bare, bare) : null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for sockets that resolves every address of the host and refuses the connection when
 * any of them is not allowed; the socket then connects only to addresses this lookup returned.
 */
export function checkedLookup(policy: HostPolicy) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, []);
        return;
      }
      const refused = policy.allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (refused) {
        callback(new HostRefusedError(hostname, refused.address), []);
        return;
      }
      if (options.all) {
        callback(null, addresses);
        return;
      }
      const first = addresses[0];
      if (!first) {
        callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
        return;
      }
      callback(null, first.address, first.family);
    });
  };
}

/** Opens a TCP connection to host:port under the policy (literal addresses checked, names resolved and checked). */
export function connectChecked(policy: HostPolicy, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const literal = literalHostRefusal(policy, host);
    if (literal) {
      reject(literal);
      return;
    }
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ''), port, lookup: checkedLookup(policy) as unknown as net.LookupFunction });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`no connection within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
