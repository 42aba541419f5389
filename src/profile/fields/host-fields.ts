// The profile's placement sections (control plane): this host's capacity, the SSH hosts replicas run
// on, how ssh reaches them, and the controller process itself.
import { MAX_ORPHAN_TIMEOUT_MS } from '../../common/data-plane/control-socket.js';
import { autoOr, bytes, duration, identifier, integer, list, neverOr, number, section, text } from './fields.js';

export const local = section('Capacity of this host for placement; "auto" detects it.', {
  cpus: autoOr(number({ positive: true, doc: '' }), {
    doc: 'CPUs placement may hand out (os.availableParallelism when auto).',
    default: 'auto',
  }),
  memory: autoOr(bytes({ doc: '' }), {
    doc: 'Memory placement may hand out (total memory when auto).',
    default: 'auto',
  }),
  gpus: autoOr(integer({ min: 0, max: 64, doc: '' }), {
    doc: 'GPUs placement may hand out (detected when auto).',
    default: 'auto',
  }),
});

const host = section('One machine replicas may run on.', {
  name: identifier({
    what: 'a host name such as "gpu-1"',
    doc: 'Name of the host in `serve status`, logs and `serve hosts`.',
    required: true,
  }),
  ssh: text({
    what: 'an SSH destination such as "ops@gpu-1.internal"',
    doc:
      'SSH destination: user@host, ssh://user@host:port or a ~/.ssh/config alias. ' +
      'Absent: this machine (at most one such host).',
    defaultText: 'this machine',
  }),
  address: text({
    what: 'a host name or IP address such as "10.0.0.5"',
    doc: 'Address of the host that the gateway reaches its replicas on; they listen on it.',
    defaultText: 'the host name ssh connects to',
  }),
  cpus: autoOr(number({ positive: true, doc: '' }), {
    doc: 'CPUs placement may hand out on the host (auto: nproc there).',
    default: 'auto',
  }),
  memory: autoOr(bytes({ doc: '' }), {
    doc: 'Memory placement may hand out on the host (auto: MemTotal there).',
    default: 'auto',
  }),
  gpus: autoOr(integer({ min: 0, max: 64, doc: '' }), {
    doc: 'GPUs placement may hand out on the host (auto: what nvidia-smi lists there).',
    default: 'auto',
  }),
  workdir: text({
    what: 'an absolute folder path such as "/opt/serve"',
    doc: 'Folder on the host where serve is installed (it holds bin/serve.js); replicas run there.',
    defaultText: 'the folder of serve on this machine',
  }),
  node: text({ what: 'a command or path such as "node"', doc: 'Node.js binary on the host.', default: 'node' }),
  registry: text({
    what: 'an absolute folder path such as "/opt/serve/models"',
    doc: 'Model registry on the host; `serve up` copies the model version there when it is missing.',
    defaultText: '<workdir>/models',
  }),
});

export const hosts = list(
  'Machines the replicas run on; replicas are spread over them. Reached over SSH ' + 'unless `ssh` is absent.',
  host,
  {
    maxItems: 64,
    defaultText: 'this machine only, named local',
  },
);

export const sshSection = section(
  'How `serve` reaches SSH hosts: the system `ssh`, with host keys checked against ' + 'known_hosts and no prompts.',
  {
    known_hosts: text({
      what: 'a file path such as "~/.ssh/known_hosts"',
      doc: 'The only file host keys are checked against (`serve hosts trust` adds to it).',
      default: '~/.ssh/known_hosts',
    }),
    identity_file: text({
      what: 'a file path such as "~/.ssh/id_ed25519"',
      doc: 'Private key to log in with (only this one is offered); absent: the agent and ' + '~/.ssh/config decide.',
      defaultText: "ssh's own choice",
    }),
    config_file: text({
      what: 'a file path such as "~/.ssh/config"',
      doc: 'ssh client configuration file (ssh -F); "none" reads none.',
      defaultText: '~/.ssh/config',
    }),
    connect_timeout: duration({
      minMs: 1000,
      maxMs: 600_000,
      doc: 'Longest wait for a host to answer a new connection (whole seconds).',
      default: '5s',
    }),
    keepalive: duration({
      minMs: 1000,
      maxMs: 600_000,
      doc:
        'Interval of SSH keep-alives and controller heartbeats (whole seconds); a host ' +
        'that stops answering is lost after keepalive_count of them.',
      default: '5s',
    }),
    keepalive_count: integer({
      min: 1,
      max: 100,
      doc: 'Unanswered keep-alives after which a host is lost and its replicas are placed elsewhere.',
      default: 3,
    }),
  },
);

export const controller = section('The controller process (`serve up`) itself.', {
  metrics_port: integer({
    min: 0,
    max: 65535,
    default: 0,
    doc:
      "Loopback port of the controller's own /metrics (replicas, restarts, scaling " +
      'decisions, active profile); 0 picks a free one (`serve status` shows it).',
  }),
  orphan_timeout: neverOr(duration({ positive: true, maxMs: MAX_ORPHAN_TIMEOUT_MS, doc: '' }), {
    doc:
      'How long a local replica or gateway serves on after its controller died with no controller ' +
      'connected to its control socket (a new `serve up` adopts it), before it drains and exits; ' +
      'never: until a controller comes or it is stopped.',
    default: 'never',
  }),
});
