// Image references (`registry/repository:tag@digest`), parsed and normalised as docker does.
import { UserError } from '../errors';

/**
 * An image reference, normalised as docker normalises it: the registry always named (docker.io
 * when none is), Docker Hub's single names under `library/`, and a tag whenever there is no digest.
 */
export interface ImageReference {
  /** `docker.io`, `ghcr.io`, `localhost:5000`, `[::1]:5000`: a host, with its port if given. */
  registry: string;
  /** The path within the registry, `library/alpine`, `acme/monorepo/web`. Always lower case. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>`; when given with a tag, the digest is what is asked for, as docker does. */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's API answers: `docker.io` itself is only a name. */
const DOCKER_HUB_API = 'registry-1.docker.io';
/** An older name of Docker Hub that docker still accepts and rewrites. */
const LEGACY_DOCKER_HUB = 'index.docker.io';
const DEFAULT_TAG = 'latest';
/** Docker's limit on `registry/repository`. */
const MAX_NAME_LENGTH = 255;

// The grammar of github.com/distribution/reference (regexp.go).
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** Hex lengths of the digest algorithms registries accept (distribution's `digest.Algorithm`). */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/**
 * Parses `[registry/]repository[:tag][@digest]` as docker does: the first path component is a
 * registry when it has a dot or a colon, is `localhost`, or has upper case letters; otherwise the
 * registry is docker.io. Throws a UserError naming the reference when it is malformed.
 */
export function parseReference(reference: string): ImageReference {
  const invalid = (why: string) => new UserError(`invalid image reference ${JSON.stringify(reference)}: ${why}`);
  if (reference === '') throw invalid('it is empty');
  if (/\s/.test(reference)) throw invalid('it contains white space');
  if (reference.includes('://')) throw invalid('give the image as registry/repository[:tag], without a URL scheme');

  const at = reference.indexOf('@');
  let name = at === -1 ? reference : reference.slice(0, at);
  const digest = at === -1 ? undefined : reference.slice(at + 1);
  if (digest !== undefined) checkDigest(digest, invalid);

  // A colon after the last slash starts the tag; one before it is a registry's port.
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(`${JSON.stringify(tag)} is not a valid tag (letters, digits, '_', '.' and '-', at most 128)`);
  }

  let registry = DOCKER_HUB;
  let repository = name;
  const slash = name.indexOf('/');
  if (slash !== -1) {
    const first = name.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first;
      repository = name.slice(slash + 1);
    }
  }
  if (!DOMAIN.test(registry)) throw invalid(`${JSON.stringify(registry)} is not a valid registry host`);
  if (registry === LEGACY_DOCKER_HUB) registry = DOCKER_HUB;
  if (repository === '') throw invalid('the repository name is missing');
  if (repository !== repository.toLowerCase()) throw invalid('repository names must be lower case');
  if (!REPOSITORY.test(repository)) {
    const why = "lower-case letters and digits, separated by '/', '.', '_', '__' or '-'";
    throw invalid(`${JSON.stringify(repository)} is not a valid repository name (${why})`);
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) throw invalid(`the name is longer than ${MAX_NAME_LENGTH} characters`);

  const parsed: ImageReference = { registry, repository };
  if (tag !== undefined) parsed.tag = tag;
  if (digest !== undefined) parsed.digest = digest;
  if (tag === undefined && digest === undefined) parsed.tag = DEFAULT_TAG;
  return parsed;
}

function checkDigest(digest: string, invalid: (why: string) => UserError): void {
  if (!DIGEST.test(digest)) throw invalid(`${JSON.stringify(digest)} is not a digest (sha256:<64 hex digits>)`);
  const [algorithm, hex] = digest.split(':') as [string, string];
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) throw invalid(`the digest algorithm ${algorithm} is not supported (use sha256)`);
  if (hex.length !== length || hex !== hex.toLowerCase()) {
    throw invalid(`a ${algorithm} digest is ${length} lower-case hex digits`);
  }
}

/** The full form, `registry/repository[:tag][@digest]`: parseReference gives it back unchanged. */
export function formatReference(ref: ImageReference): string {
  const tag = ref.tag !== undefined ? `:${ref.tag}` : '';
  const digest = ref.digest !== undefined ? `@${ref.digest}` : '';
  return `${ref.registry}/${ref.repository}${tag}${digest}`;
}

/** The host to talk to: registry-1.docker.io for docker.io, the registry itself otherwise. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB || registry === LEGACY_DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** What to ask a registry's manifests endpoint for: the digest when there is one, else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/** The host of a registry without its port: `[::1]` for `[::1]:5000`, `localhost` for `localhost:5000`. */
export function registryHostname(registry: string): string {
  const match = registry.match(/^(\[[^\]]*\]|[^:]*)/);
  return match ? match[1]! : registry;
}
