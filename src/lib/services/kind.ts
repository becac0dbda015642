import { UserError } from '../errors.ts';
import { printable } from '../validate.ts';

/**
 * What dokku needs to know about one kind of service (a database or cache server in a container):
 * its image and how dokku builds its own, the port and URL it is reached by, where it keeps data,
 * and the commands that check, dump, restore and connect to it. Pure data and text: the runtime
 * runs these, the use cases decide when. A new kind is one more file like postgres.ts.
 */

/** One service as its definition sees it. */
export interface ServiceInstance {
  name: string;
  password: string;
}

/** Files dokku writes into the service's config directory on the host (mounted at `configDir`). */
export type ConfigFiles = Record<string, string>;

export interface ServiceKind {
  /** The namespace: `postgres` → `postgres:create`. */
  name: string;
  /** For messages: `Postgres`. */
  title: string;
  /** The link's default alias: `DATABASE` → `DATABASE_URL`. */
  alias: string;
  scheme: string;
  port: number;
  /** The image dokku builds itself (from the stack's base and Debian's packages) and its default version. */
  image: { repo: string; version: string };
  /** Dockerfile and files for dokku's own image, FROM `base`. */
  imageBuild(base: string): { dockerfile: string; files: Record<string, { text: string; mode: number }> };
  /** Where the server keeps its data inside the container. */
  dataDir: string;
  /** Where `configFiles` are mounted inside the container, when the kind has any. */
  configDir?: string;
  configFiles?(s: ServiceInstance): ConfigFiles;
  env(s: ServiceInstance): Record<string, string>;
  /** The environment of every command dokku runs inside the service (its clients read the password from it). */
  execEnv(s: ServiceInstance): Record<string, string>;
  /** The container's command; the image's own when absent. */
  cmd?(s: ServiceInstance): string[];
  /** The URL an app is given, with the host it reaches the service by. */
  url(s: ServiceInstance, host: string, port: number): string;
  /** Exits 0 once the server accepts connections (run inside the container). */
  ready(s: ServiceInstance): string[];
  /** Prints the server's version on stdout. */
  version(s: ServiceInstance): string[];
  /** The interactive client (`connect`). */
  connect(s: ServiceInstance): string[];
  /** Writes a dump of the service's data on stdout. */
  dump(s: ServiceInstance): string[];
  /** What a dump starts with (any of these): an import that does not is refused before anything runs. */
  dumpMagic: readonly string[];
  /** A dump's file name in backups and the platform backup. */
  dumpFile: string;
  /** What a dump is, for help texts: `pg_dump -Fc`. */
  dumpFormat: string;
  /**
   * How a dump goes back in: `exec` pipes it into this command in the running service; `offline`
   * pipes it into this command in a container of the service's image with the data directory
   * mounted at `dataDir`, while the service is stopped.
   */
  restore(s: ServiceInstance): { via: 'exec' | 'offline'; cmd: string[] };
}

// Same rules as app names: a service name is a DNS label (its network alias) and a container name.
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function validateServiceName(name: string): string {
  if (name === '') throw new UserError('Service name must not be empty');
  if (name.length > 63) throw new UserError(`Service name is too long (${name.length} characters, at most 63)`);
  if (!NAME.test(name)) {
    throw new UserError(`Invalid service name '${printable(name)}': use lowercase letters, digits and dashes, starting with a letter or digit and not ending with a dash`);
  }
  return name;
}

/** A password a user gives must be safe in a URL unescaped, as every client parses it. */
export function servicePasswordProblem(password: string): string | undefined {
  if (!/^[A-Za-z0-9._~-]{8,128}$/.test(password)) return 'A service password must be 8 to 128 letters, digits or . _ ~ -';
  return undefined;
}

/** An alias names an environment variable: `BLUE` → `BLUE_URL`. */
export function aliasProblem(alias: string): string | undefined {
  if (!/^[A-Z][A-Z0-9_]{0,62}$/.test(alias)) return `Invalid alias '${printable(alias)}': use uppercase letters, digits and underscores, starting with a letter`;
  return undefined;
}

/** The DNS name linked apps reach the service by, as Dokku names it. */
export const serviceHost = (kind: string, name: string): string => `dokku-${kind}-${name}`;

/** The container's name, as Dokku names it. */
export const serviceContainerName = (kind: string, name: string): string => `dokku.${kind}.${name}`;

/** The variable every link also sets, whatever its alias: `DOKKU_POSTGRES_DB_URL`. */
export const linkVar = (kind: string, name: string): string => `DOKKU_${kind.toUpperCase()}_${name.toUpperCase().replace(/-/g, '_')}_URL`;

/** `--image-version`: a Docker tag. */
export function imageVersionProblem(version: string): string | undefined {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(version)) return `Invalid image version '${printable(version)}'`;
  return undefined;
}

/** `--image`: a repository name, without a tag. */
export function imageRepoProblem(repo: string): string | undefined {
  if (!/^(?:[a-z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repo) || repo.length > 255) return `Invalid image name '${printable(repo)}' (give the tag with --image-version)`;
  return undefined;
}
