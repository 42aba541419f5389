// The launcher of a cluster with several hosts (control plane, launchers): each child goes to the
// launcher of the host it was placed on (LaunchSpec.host), this machine's for the rest.
import type { LaunchSpec, LaunchedProcess, Launcher } from './launcher.js';

export class HostLauncher implements Launcher {
  /** `remote(name)` is the launcher of an SSH host, undefined for this machine. */
  constructor(
    private readonly local: Launcher,
    private readonly remote: (host: string) => Launcher | undefined,
  ) {}

  start(spec: LaunchSpec): LaunchedProcess {
    const launcher = spec.host === undefined ? undefined : this.remote(spec.host);
    return (launcher ?? this.local).start(spec);
  }
}
