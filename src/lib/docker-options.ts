import { UserError } from './errors.ts';
import { LABEL } from './labels.ts';
import { printable } from './validate.ts';
import { splitCommandWords } from './words.ts';
import type { DockerPhase } from './run-settings.ts';

/**
 * `docker-options:add` options turned into what dockerode takes, by one table of the flags dokku
 * knows. An option is a string as the user typed it (`-v /a:/b`, `--shm-size=1g`), split into words
 * by lib/words.ts and never handed to a shell or to the docker CLI: a flag the table lacks is refused
 * by name when it is added. Pure: no Docker, no state.
 */

/** The create-options part docker options can set (a subset of dockerode's ContainerCreateOptions). */
export interface DockerCreatePart {
  Env: string[];
  Labels: Record<string, string>;
  User?: string;
  WorkingDir?: string;
  Hostname?: string;
  HostConfig: {
    Binds?: string[];
    ExtraHosts?: string[];
    ShmSize?: number;
    Ulimits?: { Name: string; Soft: number; Hard: number }[];
    NanoCpus?: number;
    Memory?: number;
    Tmpfs?: Record<string, string>;
    Dns?: string[];
    DnsSearch?: string[];
    CapAdd?: string[];
    CapDrop?: string[];
    Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
    Privileged?: boolean;
    PidMode?: string;
    IpcMode?: string;
    UTSMode?: string;
    UsernsMode?: string;
    NetworkMode?: string;
    SecurityOpt?: string[];
    CgroupParent?: string;
    VolumesFrom?: string[];
    ReadonlyRootfs?: boolean;
    Sysctls?: Record<string, string>;
    GroupAdd?: string[];
  };
}

/** What build-phase options give a build: Dockerfile build args and the build's own settings. */
export interface BuildPart {
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  shmSize?: number;
  extraHosts: string[];
}

interface FlagSpec {
  /** Long name first; the others are aliases. */
  names: string[];
  /** Takes a value (`--flag V` or `--flag=V`); otherwise a switch (`--flag`, `--flag=true|false`). */
  value: boolean;
  phases: readonly DockerPhase[];
  /**
   * Why a non-admin key may not use it with this value (it reaches past the container: the host's
   * files, devices, kernel or namespaces), or undefined when a tenant may.
   */
  escapes?: (value: string) => string | undefined;
  /** Why the value is wrong, or undefined. */
  check?: (value: string) => string | undefined;
  apply: (out: DockerCreatePart, value: string) => void;
  build?: (out: BuildPart, value: string) => void;
}

const RUNTIME: readonly DockerPhase[] = ['deploy', 'run'];
const ALL: readonly DockerPhase[] = ['build', 'deploy', 'run'];
const always = (why: string) => () => why;
const push = <T>(list: T[] | undefined, v: T): T[] => [...(list ?? []), v];

const SIZE = /^(\d+(?:\.\d+)?)([bkmg]?)b?$/i;
const UNIT: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
/** Docker's byte sizes (`512m`, `1g`, `1048576`), capped at 1 TiB. */
export function byteSize(v: string): number | undefined {
  const m = SIZE.exec(v);
  if (!m) return undefined;
  const n = Math.floor(Number(m[1]) * UNIT[m[2]!.toLowerCase()]!);
  return n > 0 && n <= 1024 ** 4 ? n : undefined;
}
const sizeCheck = (v: string) => (byteSize(v) === undefined ? 'a size such as 512m or 1g' : undefined);

const keyValue = /^[A-Za-z_][A-Za-z0-9_.-]*=[^\0]*$/;
const hostMode = (v: string) => (v === 'host' || v.startsWith('container:') ? `shares the ${v === 'host' ? "host's" : "another container's"} namespace` : undefined);

/** A volume's source is a host path when it starts with `/` (or `.`/`~`, which Docker resolves on the host). */
const bindEscapes = (v: string) => {
  const source = v.split(':')[0] ?? '';
  if (/^[/.~]/.test(source)) return 'mounts a host path (use storage:mount with one of the app\'s storage entries)';
  return 'mounts a Docker volume, which may be another app\'s (use storage:mount)';
};

const FLAGS: readonly FlagSpec[] = [
  {
    names: ['--env', '-e'],
    value: true,
    phases: RUNTIME,
    check: (v) => (keyValue.test(v) ? undefined : 'KEY=VALUE'),
    apply: (o, v) => void o.Env.push(v),
  },
  {
    names: ['--label', '-l'],
    value: true,
    phases: ALL,
    check: (v) => {
      const key = v.split('=')[0]!;
      if (!/^[A-Za-z0-9][A-Za-z0-9_.\/-]*$/.test(key)) return 'a label such as key=value';
      return Object.values(LABEL).includes(key as never) || key.startsWith('com.dokku.') ? 'a label outside com.dokku.*, which dokku reads back' : undefined;
    },
    apply: (o, v) => {
      const [key, ...rest] = v.split('=');
      o.Labels[key!] = rest.join('=');
    },
    build: (b, v) => {
      const [key, ...rest] = v.split('=');
      b.labels[key!] = rest.join('=');
    },
  },
  {
    names: ['--build-arg'],
    value: true,
    phases: ['build'],
    check: (v) => (keyValue.test(v) ? undefined : 'KEY=VALUE'),
    apply: () => {},
    build: (b, v) => {
      const [key, ...rest] = v.split('=');
      b.buildArgs[key!] = rest.join('=');
    },
  },
  {
    names: ['--add-host'],
    value: true,
    phases: ALL,
    check: (v) => (/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}:[0-9A-Fa-f.:]+$/.test(v) ? undefined : 'host:ip'),
    apply: (o, v) => void (o.HostConfig.ExtraHosts = push(o.HostConfig.ExtraHosts, v)),
    build: (b, v) => void b.extraHosts.push(v),
  },
  {
    names: ['--shm-size'],
    value: true,
    phases: ALL,
    check: sizeCheck,
    apply: (o, v) => void (o.HostConfig.ShmSize = byteSize(v)!),
    build: (b, v) => void (b.shmSize = byteSize(v)!),
  },
  {
    names: ['--ulimit'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[a-z]+=-?\d{1,18}(?::-?\d{1,18})?$/.test(v) ? undefined : 'name=soft[:hard], e.g. nofile=1024:2048'),
    apply: (o, v) => {
      const [name, limits] = v.split('=') as [string, string];
      const [soft, hard] = limits.split(':');
      o.HostConfig.Ulimits = push(o.HostConfig.Ulimits, { Name: name, Soft: Number(soft), Hard: Number(hard ?? soft) });
    },
  },
  {
    names: ['--cpus'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^\d{1,3}(\.\d{1,3})?$/.test(v) && Number(v) > 0 ? undefined : 'a number of CPUs such as 0.5 or 2'),
    apply: (o, v) => void (o.HostConfig.NanoCpus = Math.round(Number(v) * 1e9)),
  },
  {
    names: ['--memory', '-m'],
    value: true,
    phases: RUNTIME,
    check: sizeCheck,
    apply: (o, v) => void (o.HostConfig.Memory = byteSize(v)!),
  },
  {
    names: ['--tmpfs'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^\/[A-Za-z0-9._\/-]*(:[A-Za-z0-9=,]+)?$/.test(v) && !v.split(':')[0]!.split('/').includes('..') ? undefined : 'a container path, optionally :options'),
    apply: (o, v) => {
      const [path, opts] = v.split(':');
      o.HostConfig.Tmpfs = { ...(o.HostConfig.Tmpfs ?? {}), [path!]: opts ?? '' };
    },
  },
  {
    names: ['--user', '-u'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[A-Za-z0-9_.-]{1,64}(:[A-Za-z0-9_.-]{1,64})?$/.test(v) ? undefined : 'user[:group]'),
    apply: (o, v) => void (o.User = v),
  },
  {
    names: ['--workdir', '-w'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^\/[^\0]{0,1023}$/.test(v) ? undefined : 'an absolute path in the container'),
    apply: (o, v) => void (o.WorkingDir = v),
  },
  {
    names: ['--hostname', '-h'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(v) ? undefined : 'a host name'),
    apply: (o, v) => void (o.Hostname = v),
  },
  {
    names: ['--dns'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[0-9A-Fa-f.:]{2,45}$/.test(v) ? undefined : 'an IP address'),
    apply: (o, v) => void (o.HostConfig.Dns = push(o.HostConfig.Dns, v)),
  },
  {
    names: ['--dns-search'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[A-Za-z0-9.-]{1,253}$/.test(v) ? undefined : 'a domain'),
    apply: (o, v) => void (o.HostConfig.DnsSearch = push(o.HostConfig.DnsSearch, v)),
  },
  {
    names: ['--cap-drop'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[A-Za-z_]{1,40}$/.test(v) ? undefined : 'a capability name'),
    apply: (o, v) => void (o.HostConfig.CapDrop = push(o.HostConfig.CapDrop, v)),
  },
  { names: ['--read-only'], value: false, phases: RUNTIME, apply: (o, v) => void (o.HostConfig.ReadonlyRootfs = v === 'true') },
  {
    names: ['--group-add'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[A-Za-z0-9_.-]{1,64}$/.test(v) ? undefined : 'a group name or id'),
    apply: (o, v) => void (o.HostConfig.GroupAdd = push(o.HostConfig.GroupAdd, v)),
  },
  // Options that reach past the container: an admin's to give, never a tenant's.
  {
    names: ['--volume', '-v'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[^\0:]+:\/[^\0:]*(:[a-zA-Z,]+)?$/.test(v) ? undefined : 'source:/container/path[:options]'),
    escapes: bindEscapes,
    apply: (o, v) => void (o.HostConfig.Binds = push(o.HostConfig.Binds, v)),
  },
  {
    names: ['--cap-add'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[A-Za-z_]{1,40}$/.test(v) ? undefined : 'a capability name'),
    escapes: always('gives the container kernel capabilities'),
    apply: (o, v) => void (o.HostConfig.CapAdd = push(o.HostConfig.CapAdd, v)),
  },
  {
    names: ['--device'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^\/dev\/[A-Za-z0-9._\/-]+(:\/[A-Za-z0-9._\/-]+)?(:[rwm]{1,3})?$/.test(v) ? undefined : '/dev/host[:/dev/container][:rwm]'),
    escapes: always("gives the container one of the host's devices"),
    apply: (o, v) => {
      const [host, container, perms] = v.split(':');
      o.HostConfig.Devices = push(o.HostConfig.Devices, { PathOnHost: host!, PathInContainer: container ?? host!, CgroupPermissions: perms ?? 'rwm' });
    },
  },
  { names: ['--privileged'], value: false, phases: RUNTIME, escapes: always('gives the container the whole host'), apply: (o, v) => void (o.HostConfig.Privileged = v === 'true') },
  {
    names: ['--security-opt'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[A-Za-z-]+([=:][^\0\s]{1,200})?$/.test(v) ? undefined : 'an option such as no-new-privileges'),
    escapes: always("changes the container's confinement"),
    apply: (o, v) => void (o.HostConfig.SecurityOpt = push(o.HostConfig.SecurityOpt, v)),
  },
  ...(['pid', 'ipc', 'uts', 'userns'] as const).map(
    (ns): FlagSpec => ({
      names: [`--${ns}`],
      value: true,
      phases: RUNTIME,
      check: (v) => (/^(host|private|shareable|container:[A-Za-z0-9_.-]+)$/.test(v) ? undefined : 'host, private or container:NAME'),
      escapes: (v) => hostMode(v) ?? `sets the container's ${ns} namespace`,
      apply: (o, v) => {
        const key = ({ pid: 'PidMode', ipc: 'IpcMode', uts: 'UTSMode', userns: 'UsernsMode' } as const)[ns];
        o.HostConfig[key] = v;
      },
    }),
  ),
  {
    names: ['--network', '--net'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(v) ? undefined : 'a network name'),
    escapes: (v) => hostMode(v) ?? 'picks a Docker network (use network:set with a network an admin made)',
    apply: (o, v) => void (o.HostConfig.NetworkMode = v),
  },
  {
    names: ['--cgroup-parent'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[A-Za-z0-9_.\/-]{1,200}$/.test(v) ? undefined : 'a cgroup path'),
    escapes: always("places the container in another of the host's cgroups"),
    apply: (o, v) => void (o.HostConfig.CgroupParent = v),
  },
  {
    names: ['--volumes-from'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}(:(ro|rw))?$/.test(v) ? undefined : 'a container name'),
    escapes: always("mounts another container's volumes"),
    apply: (o, v) => void (o.HostConfig.VolumesFrom = push(o.HostConfig.VolumesFrom, v)),
  },
  {
    names: ['--sysctl'],
    value: true,
    phases: RUNTIME,
    check: (v) => (/^[a-z0-9_.]+=[^\0\s]{1,100}$/.test(v) ? undefined : 'name=value'),
    escapes: always("sets the kernel's parameters"),
    apply: (o, v) => {
      const [k, ...rest] = v.split('=');
      o.HostConfig.Sysctls = { ...(o.HostConfig.Sysctls ?? {}), [k!]: rest.join('=') };
    },
  },
];

/** Flags people bring from `docker run` that dokku does on purpose some other way. */
const ELSEWHERE: Readonly<Record<string, string>> = {
  '--publish': 'ports are published through nginx: use ports:add',
  '-p': 'ports are published through nginx: use ports:add',
  '--restart': 'use ps:set APP restart-policy',
  '--name': 'dokku names its containers',
  '--rm': 'dokku removes its containers',
  '--detach': 'dokku starts its containers',
  '-d': 'dokku starts its containers',
  '--link': 'links are legacy in Docker: use network:create and network:set',
  '--init': 'every container already runs with an init',
  '--log-opt': 'use logs:set APP max-size',
  '--log-driver': 'use logs:set APP max-size',
  '--entrypoint': 'the Procfile says what a process runs',
  '--mount': 'use -v, or storage:mount',
};

const MAX_OPTION_BYTES = 4096;

interface ParsedFlag {
  spec: FlagSpec;
  name: string;
  value: string;
}

function lookup(name: string): FlagSpec | undefined {
  return FLAGS.find((f) => f.names.includes(name));
}

/** Splits one option string into its flags and values, checking each against the table. */
function parseOption(option: string, phase: DockerPhase): ParsedFlag[] {
  if (option.length > MAX_OPTION_BYTES) throw new UserError(`Docker option is too long (over ${MAX_OPTION_BYTES} bytes)`);
  let words: string[];
  try {
    words = splitCommandWords(option);
  } catch (err) {
    throw new UserError(`Invalid docker option '${printable(option)}': ${(err as Error).message}`);
  }
  if (words.length === 0) throw new UserError('Docker option is empty');
  const out: ParsedFlag[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-')) throw new UserError(`Invalid docker option '${printable(option)}': '${printable(word)}' is not a flag (options only: dokku runs the Procfile's command)`);
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const name = eq > 0 ? word.slice(0, eq) : word;
    const spec = lookup(name);
    if (!spec) {
      const why = ELSEWHERE[name];
      throw new UserError(`Unsupported docker option ${printable(name)}${why ? `: ${why}` : ' (see docker-options:add --help for the options dokku knows)'}`);
    }
    let value: string;
    if (spec.value) {
      if (eq > 0) value = word.slice(eq + 1);
      else if (i + 1 < words.length) value = words[++i]!;
      else throw new UserError(`Docker option ${name} needs a value`);
    } else {
      value = eq > 0 ? word.slice(eq + 1) : 'true';
      if (value !== 'true' && value !== 'false') throw new UserError(`Docker option ${name} is a switch: true or false`);
    }
    if (!spec.phases.includes(phase)) throw new UserError(`Docker option ${name} does not apply to the ${phase} phase (it applies to ${spec.phases.join(', ')})`);
    const problem = spec.check?.(value);
    if (problem) throw new UserError(`Invalid value for docker option ${name}: '${printable(value)}' (expected ${problem})`);
    out.push({ spec, name, value });
  }
  return out;
}

/**
 * Why the option may not be added for these phases (unknown flag, bad value, wrong phase), thrown
 * as a UserError; with `tenant`, also why a non-admin key may not use it (returned, not thrown, so the
 * caller records the refusal as an access decision).
 */
export function checkDockerOption(option: string, phases: readonly DockerPhase[], tenant: boolean): { escapes?: string } {
  for (const phase of phases) {
    for (const flag of parseOption(option, phase)) {
      const why = tenant ? flag.spec.escapes?.(flag.value) : undefined;
      if (why) return { escapes: `a docker option (${flag.name}) that ${why}` };
    }
  }
  return {};
}

/** The deploy or run phase's options as create options, in the order they were added (later wins). */
export function dockerOptionsPart(options: readonly string[], phase: 'deploy' | 'run'): DockerCreatePart {
  const out: DockerCreatePart = { Env: [], Labels: {}, HostConfig: {} };
  for (const option of options) for (const flag of parseOption(option, phase)) flag.spec.apply(out, flag.value);
  return out;
}

/** The build phase's options: build args, labels, shm size, extra hosts. */
export function buildOptionsPart(options: readonly string[]): BuildPart {
  const out: BuildPart = { buildArgs: {}, labels: {}, extraHosts: [] };
  for (const option of options) for (const flag of parseOption(option, 'build')) flag.spec.build?.(out, flag.value);
  return out;
}

/** `deploy,run` → the phases, each known, none twice. */
export function parsePhases(word: string): DockerPhase[] {
  const phases = word.split(',');
  const known: readonly string[] = ['build', 'deploy', 'run'];
  for (const p of phases) if (!known.includes(p)) throw new UserError(`Invalid phase '${printable(p)}': use build, deploy or run, comma-separated`);
  if (new Set(phases).size !== phases.length) throw new UserError(`Phase listed twice in '${printable(word)}'`);
  return phases as DockerPhase[];
}

/** The flags dokku knows, for help: name, aliases, whether a tenant may use it. */
export function knownDockerFlags(): { names: string[]; phases: readonly DockerPhase[]; adminOnly: boolean }[] {
  return FLAGS.map((f) => ({ names: f.names, phases: f.phases, adminOnly: f.escapes !== undefined }));
}
