// The launcher of a cluster with several hosts (control plane, launchers): each child goes to the
// launcher of the host it was placed on (LaunchSpec.host), this machine's for the rest. An SSH
// host's launcher is made on first use from its connection (hosts/ owns connections, launchers/
// owns running children over them), one per connection.
import type { Clock } from '../../common/clock.js';
import type { RemoteConnection } from '../hosts/index.js';
import type { SshConnection } from '../hosts/index.js';
import type { LaunchSpec, LaunchedProcess, Launcher } from './launcher.js';
import { SshLauncher } from './ssh-launcher.js';

export class HostLauncher implements Launcher {
  private readonly sshLaunchers = new WeakMap<SshConnection, SshLauncher>();

  /** `remote(name)` is the connection of an SSH host, undefined for this machine. */
  constructor(
    private readonly local: Launcher,
    private readonly remote: (host: string) => RemoteConnection | undefined,
    private readonly clock: Clock,
  ) {}

  start(spec: LaunchSpec): LaunchedProcess {
    const r = spec.host === undefined ? undefined : this.remote(spec.host);
    return (r ? this.sshLauncher(r) : this.local).start(spec);
  }

  private sshLauncher(r: RemoteConnection): SshLauncher {
    let l = this.sshLaunchers.get(r.connection);
    if (!l) {
      l = new SshLauncher({ ...r, clock: this.clock });
      this.sshLaunchers.set(r.connection, l);
    }
    return l;
  }
}
