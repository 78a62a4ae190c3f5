import { BlockList, isIP } from 'node:net';

/** 127.0.0.0/8 and ::1, in any spelling (`0:0:0:0:0:0:0:1`, `::ffff:127.0.0.1` included). */
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * Hosts for which plaintext is safe by default: the traffic never leaves this machine. Decided by what the host is,
 * never by what a resolver says: a loopback IP literal, or the name `localhost` itself, which the hosts file answers
 * on every system this runs on. Names under `.localhost` are not loopback here, although RFC 6761 reserves them: the
 * system resolver may send them to ordinary DNS (it did, on the machines this was written on), and a hosts entry or
 * a DNS answer could then point them anywhere while plaintext was allowed without `allowInsecureRemote`.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const family = isIP(bare);
  if (family === 0) return false;
  return loopback.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host of a `host:port` or `[v6]:port` endpoint (the port is validated by the client options). */
export function hostOfEndpoint(endpoint: string): string {
  const colon = endpoint.lastIndexOf(':');
  return colon === -1 ? endpoint : endpoint.slice(0, colon);
}
