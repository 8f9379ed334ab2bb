// node:os as code running on a host sees it: the host's name and interfaces; the rest is the
// machine's (CPUs, memory, the user).
import * as realOs from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';
import type { Host } from './host.js';

export type OsModule = typeof realOs;

/** node:os bound to a host: hostname() and networkInterfaces() are the host's. */
export function createOs(host: Host): OsModule {
  const os = { ...realOs } as Record<string, unknown>;
  os.hostname = (): string => host.name;
  os.networkInterfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => interfacesOf(host);
  os.default = os;
  return os as unknown as OsModule;
}

/** os.networkInterfaces() of a virtual host. */
export function interfacesOf(host: Host): NodeJS.Dict<NetworkInterfaceInfo[]> {
  const out: NodeJS.Dict<NetworkInterfaceInfo[]> = {};
  for (const i of host.addr()) {
    const internal = i.ifname === 'lo';
    const list: NetworkInterfaceInfo[] = [];
    for (const a of i.addrs) {
      const cidr = `${a.address}/${a.prefix}`;
      if (a.family === 4) {
        list.push({ address: a.address, netmask: mask4(a.prefix), family: 'IPv4', mac: i.mac, internal, cidr });
      } else {
        list.push({ address: a.address, netmask: mask6(a.prefix), family: 'IPv6', mac: i.mac, internal, cidr, scopeid: a.scope === 'link' ? i.ifindex : 0 });
      }
    }
    if (list.length > 0) out[i.ifname] = list;
  }
  return out;
}

function mask4(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [m >>> 24, (m >>> 16) & 255, (m >>> 8) & 255, m & 255].join('.');
}

function mask6(prefix: number): string {
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) {
    const bits = Math.max(0, Math.min(16, prefix - g * 16));
    groups.push(bits === 0 ? '0' : ((0xffff << (16 - bits)) & 0xffff).toString(16));
  }
  // RFC 5952 form, as Node prints it: the longest run of zero groups becomes '::'.
  const s = groups.join(':');
  const runs = s.match(/(^|:)0(:0)+(:|$)/g);
  if (!runs) return s;
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a));
  return s.replace(longest, '::');
}
