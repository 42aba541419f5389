// The environment a data-plane child (replica, gateway) starts with (control plane, pure): the
// allow-list below taken from the controller's environment, then the profile's `env:`, then what the
// controller sets on purpose. Nothing else passes: no secret of `serve up`'s environment reaches a child.

/** One allowed name (`exact`) or family of names (`prefix`), and why a child needs it. */
export interface AllowedVariable {
  /** An exact name ("PATH"), or a prefix ending in "_" ("LC_") that admits every name it starts. */
  name: string;
  prefix?: true;
  /** Why it passes (the guide's table, docs/guide/security.md, says the same). */
  why: string;
}

/**
 * Every variable a child inherits from the controller's environment. Anything not here stays with
 * the controller (AWS_*, *_TOKEN, SERVE_TOKEN, SSH_AUTH_SOCK, proxies with passwords ...); a user
 * passes more with the profile's `env:`. Not here on purpose: NODE_OPTIONS (a child's Node flags are
 * serve's: an `--inspect` or `--require` meant for `serve up` would run in every child; pass it
 * with `env:`), proxy variables (Node's HTTP client ignores them and their URLs carry passwords),
 * SSH_* (the controller's own ssh client needs them, a replica does not).
 */
export const CHILD_ENV_ALLOW: readonly AllowedVariable[] = [
  { name: 'PATH', why: 'programs a child runs, and the search for `node`' },
  { name: 'HOME', why: "libraries' caches and configuration under ~" },
  { name: 'LANG', why: 'locale' },
  { name: 'LANGUAGE', why: 'locale' },
  { name: 'LC_', prefix: true, why: 'locale (LC_ALL, LC_CTYPE, ...)' },
  { name: 'TZ', why: 'time zone of local times' },
  { name: 'TMPDIR', why: 'where temporary files go' },
  { name: 'LD_LIBRARY_PATH', why: 'where the CUDA, cuDNN and TensorRT libraries of ONNX Runtime are found' },
  { name: 'ORT_', prefix: true, why: 'ONNX Runtime settings' },
  { name: 'CUDA_', prefix: true, why: 'CUDA settings (CUDA_HOME, CUDA_MODULE_LOADING, CUDA_CACHE_PATH, ...)' },
  { name: 'NVIDIA_', prefix: true, why: 'NVIDIA container settings (NVIDIA_VISIBLE_DEVICES, ...)' },
  {
    name: 'NODE_EXTRA_CA_CERTS',
    why: "a file of extra CA certificates the gateway trusts (external servers', Redis over TLS)",
  },
  { name: 'SERVE_LOG_LEVEL', why: "serve's own: the children's log level" },
  { name: 'SERVE_DEBUG', why: "serve's own: stack traces of internal errors" },
];

/** Whether `name` of the controller's environment passes to a child. */
export function allowedInChild(name: string, allow: readonly AllowedVariable[] = CHILD_ENV_ALLOW): boolean {
  return allow.some((a) => (a.prefix ? name.startsWith(a.name) && name.length > a.name.length : name === a.name));
}

/** A POSIX environment variable name (what a profile's `env:` key must be). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A child's whole environment: the allowed variables of `parentEnv`, then `profileEnv` (the
 * profile's `env:`, which may also replace an allowed one), then `extra` (what the controller sets
 * itself, such as CUDA_VISIBLE_DEVICES of a GPU replica: placement wins over a profile).
 */
export function childEnv(
  parentEnv: Readonly<Record<string, string | undefined>>,
  profileEnv: Readonly<Record<string, string>> = {},
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parentEnv)) {
    if (value !== undefined && allowedInChild(name)) out[name] = value;
  }
  return { ...out, ...profileEnv, ...extra };
}
