// What a door needs of the world: a virtual host's kernel, socket calls and node modules, and
// the network's clock. The world's Host and Network have all of it; doors name only this shape,
// so that they sit below the world (which opens them) and never import it.
import type { Scheduler } from '../links/clock.js';
import type { Port } from '../links/port.js';
import type { Switch } from '../links/switch.js';
import type { Cable } from '../links/cable.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Interface } from '../kernel/interface.js';
import type { Sys } from '../sys/sys.js';
import type { NetModule } from '../node/net.js';

/** The network a door's hosts live in: its clock, and a way to make a host. */
export interface DoorNetwork<H extends DoorHost = DoorHost> {
  readonly sched: Scheduler;
  host(name: string): H;
}

/** A virtual host, as far as doors use it. */
export interface DoorHost {
  readonly name: string;
  readonly network: DoorNetwork;
  readonly kernel: Kernel;
  readonly sys: Sys;
  readonly net: NetModule;
  readonly interfaces: readonly Interface[];
  attach(target: Switch | Cable | Port, opts?: { ipv4?: string | readonly string[]; ipv6?: string | readonly string[] }): Interface;
}
