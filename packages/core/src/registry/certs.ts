// TLS for a registry as Docker sets it up: extra CA roots and a client certificate in the registry's certs.d directory.
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { UserError } from '../errors';

/** One directory of per-registry certificates instead of Docker's (tests, or a CI runner's own). */
export const CERTS_DIR_ENV = 'MZBUILD_CERTS_DIR';

/** A registry's certificates directory that cannot be used as it is: the user's to fix, never a registry that "cannot be asked". */
export class CertificatesError extends UserError {}

/** What a TLS connection to one registry adds to Node's defaults. */
export interface RegistryTls {
  /** Node's CA roots, NODE_EXTRA_CA_CERTS's, and the registry's own (`*.crt`). */
  ca?: string[];
  /** A client certificate (`*.cert`) and its key (`*.key`, same name), for registries that ask for one. */
  cert?: string;
  key?: string;
}

/**
 * The directories Docker Engine reads a registry's certificates from, `<dir>/<host[:port]>/`:
 * `/etc/docker/certs.d` (rootful), `~/.config/docker/certs.d` (rootless). A private registry that
 * `docker pull` trusts is then trusted here too; MZBUILD_CERTS_DIR replaces both.
 */
export function certsDirs(env: NodeJS.ProcessEnv): string[] {
  const own = env[CERTS_DIR_ENV];
  if (own) return [own];
  const config = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return ['/etc/docker/certs.d', join(config, 'docker/certs.d')];
}

/**
 * The TLS options of `registry` (`host[:port]` as references name it), from the first of
 * certsDirs that has a directory for it, as Docker reads one: every `*.crt` is a CA root, and a
 * `client.cert` needs its `client.key`. Undefined when none has it (Node's defaults serve).
 * Throws a CertificatesError naming the file that cannot be used.
 */
export function registryTls(registry: string, env: NodeJS.ProcessEnv): RegistryTls | undefined {
  for (const dir of certsDirs(env)) {
    const path = join(dir, registry);
    let names: string[];
    try {
      names = readdirSync(path).sort();
    } catch {
      continue; // none for this registry here
    }
    const read = (name: string) => {
      try {
        return readFileSync(join(path, name), 'utf8');
      } catch (error) {
        throw new CertificatesError(`cannot read ${join(path, name)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): the TLS certificates of ${registry}`);
      }
    };
    const tls: RegistryTls = {};
    const cas = names.filter((n) => n.endsWith('.crt')).map(read);
    // Given a CA list, Node trusts only it: its own roots and NODE_EXTRA_CA_CERTS's go in too.
    if (cas.length > 0) tls.ca = [...rootCertificates, ...extraCaCerts(env), ...cas];
    const certs = names.filter((n) => n.endsWith('.cert'));
    if (certs.length > 1) throw new CertificatesError(`${path} holds ${certs.length} client certificates (${certs.join(', ')}); keep one, with its .key`);
    if (certs.length === 1) {
      const keyName = certs[0]!.replace(/\.cert$/, '.key');
      if (!names.includes(keyName)) throw new CertificatesError(`${join(path, certs[0]!)} is a client certificate without its key: put it in ${join(path, keyName)}`);
      tls.cert = read(certs[0]!);
      tls.key = read(keyName);
    } else {
      const keys = names.filter((n) => n.endsWith('.key'));
      if (keys.length > 0) throw new CertificatesError(`${join(path, keys[0]!)} is a client key without its certificate: put it in ${join(path, keys[0]!.replace(/\.key$/, '.cert'))}`);
    }
    return tls;
  }
  return undefined;
}

/** What to do when `host`'s certificate leads to no trusted root: give its CA as Docker takes it. */
export function untrustedCertificateHint(host: string, env: NodeJS.ProcessEnv): string {
  const where = env[CERTS_DIR_ENV] ? ` (${CERTS_DIR_ENV})` : ', where docker reads it too';
  return `if its certificate is from a private CA, put the CA that issued it in ${join(certsDirs(env)[0]!, host, 'ca.crt')}${where}`;
}

/** NODE_EXTRA_CA_CERTS's roots, which Node adds to its own only where no CA list is given. */
function extraCaCerts(env: NodeJS.ProcessEnv): string[] {
  const file = env['NODE_EXTRA_CA_CERTS'];
  if (!file) return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return []; // Node warns of it itself, at start
  }
}
