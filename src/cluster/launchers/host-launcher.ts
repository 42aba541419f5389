// The launcher of a cluster with several hosts (control plane, launchers): each child goes to the
// launcher of the host it was placed on (LaunchSpec.host), this machine's for the rest. An SSH
// host's launcher is made on first use from its connection (hosts/ owns connections, launchers/
// owns running children over them), one per connection.
import type { Clock } from '../../common/clock.js';
import type { RemoteConnection } from '../hosts/index.js';
import type { SshConnection } from '../hosts/index.js';
import type { LaunchSpec, LaunchedProcess, Launcher } from './launcher.js';
import type { Bridge } from './remote-bridge.js';
import { adoptedRemoteProcess } from './remote-adopted.js';
import type { AdoptSpec } from './socket-launch.js';
import { SshLauncher, type SshLauncherOptions } from './ssh-launcher.js';

export class HostLauncher implements Launcher {
  private readonly sshLaunchers = new WeakMap<SshConnection, SshLauncher>();

  /**
   * `remote(name)` is the connection of an SSH host, undefined for this machine. With `detached`,
   * children on SSH hosts outlive the controller (SshLauncherOptions.detached).
   */
  constructor(
    private readonly local: Launcher,
    private readonly remote: (host: string) => RemoteConnection | undefined,
    private readonly clock: Clock,
    private readonly detached?: SshLauncherOptions['detached'],
  ) {}

  /** Takes over a detached child a dead controller started on SSH host `host` (verified by the caller). */
  adoptRemote(
    host: string,
    a: AdoptSpec & { bridge: Bridge; controlSocket: string; startTicks?: number },
  ): LaunchedProcess | undefined {
    const r = this.remote(host);
    return r && adoptedRemoteProcess(a, r, this.clock);
  }

  start(spec: LaunchSpec): LaunchedProcess {
    const r = spec.host === undefined ? undefined : this.remote(spec.host);
    return (r ? this.sshLauncher(r) : this.local).start(spec);
  }

  private sshLauncher(r: RemoteConnection): SshLauncher {
    let l = this.sshLaunchers.get(r.connection);
    if (!l) {
      l = new SshLauncher({ ...r, clock: this.clock, ...(this.detached ? { detached: this.detached } : {}) });
      this.sshLaunchers.set(r.connection, l);
    }
    return l;
  }
}
