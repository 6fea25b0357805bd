import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** How the registry checks requests: htpasswd (Basic), or distribution's token auth (Bearer JWTs). */
export type RegistryServerAuth =
  | { htpasswd: { username: string; password: string } }
  | { token: { realm: string; service: string; issuer: string; rootCertBundle: string } };

/**
 * A real OCI registry (Debian's docker-registry, the CNCF distribution server) on a free loopback
 * port, with its storage in a temporary directory. Missing, it fails the test: it is part of the
 * test setup that tools/setup installs, and a skipped test would pass on a machine that lacks it.
 */
export class RegistryServer {
  private constructor(
    /** `127.0.0.1:PORT` (or the TLS address), as a registry is named in references. */
    readonly host: string,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(options: { auth?: RegistryServerAuth; tls?: RegistryServerTls } = {}): Promise<RegistryServer> {
    const binary = registryBinary();
    const dir = mkdtempSync(join(tmpdir(), 'mzbuild-registry-'));
    const port = await freePort();
    const address = options.tls?.address ?? '127.0.0.1';
    writeFileSync(join(dir, 'config.yml'), registryConfig(dir, `${address}:${port}`, options.auth, options.tls));
    const child = spawn(binary, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const server = new RegistryServer(`${address}:${port}`, dir, child);
    const deadline = Date.now() + 10_000;
    for (;;) {
      // Any answer from /v2/ (200, or 401 with auth) means it is serving; over TLS, a connection that completes its handshake.
      if (await (options.tls ? tlsAnswers(address, port, options.tls.ca) : fetch(`http://${server.host}/v2/`).then(() => true, () => false))) return server;
      if (child.exitCode !== null || Date.now() > deadline) {
        await server.stop();
        throw new Error(`docker-registry did not start on ${server.host}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill();
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A port nothing listens on now: the kernel's pick for port 0, released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function registryBinary(): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).concat('/usr/bin')) {
    const candidate = join(dir, 'docker-registry');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error("docker-registry is not installed: run tools/setup, which installs it (apt-get install docker-registry)");
}

/** HTTPS on `address` with a certificate for it, and client certificates of `clientCa` required when given. */
export interface RegistryServerTls {
  address: string;
  certificate: string;
  key: string;
  /** The CA that issued `certificate`, to see the server answer. */
  ca: string;
  clientCa?: string;
}

function tlsAnswers(address: string, port: number, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: address, port, ca: readFileSync(ca) }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function registryConfig(dir: string, addr: string, auth: RegistryServerAuth | undefined, tls?: RegistryServerTls): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    // Tags can be deleted, as GHCR's retention policies delete them.
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${addr}`,
  ];
  if (tls) {
    lines.push('  tls:', `    certificate: ${tls.certificate}`, `    key: ${tls.key}`);
    if (tls.clientCa) lines.push('    clientcas:', `      - ${tls.clientCa}`);
  }
  if (auth && 'htpasswd' in auth) {
    writeFileSync(join(dir, 'htpasswd'), `${auth.htpasswd.username}:${bcrypt(auth.htpasswd.password)}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: mzbuild-test', `    path: ${join(dir, 'htpasswd')}`);
  } else if (auth) {
    const { realm, service, issuer, rootCertBundle } = auth.token;
    lines.push('auth:', '  token:', `    realm: ${realm}`, `    service: ${service}`, `    issuer: ${issuer}`);
    lines.push(`    rootcertbundle: ${rootCertBundle}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * A bcrypt hash, the only kind distribution's htpasswd takes. Debian's libcrypt (libxcrypt)
 * makes them through perl's crypt(), perl being part of every Debian system; apache2-utils'
 * htpasswd is used when present. The password goes through the environment, not argv.
 */
function bcrypt(password: string): string {
  const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // 22 characters, the last one with its low 4 bits clear, as bcrypt's salt encoding wants.
  const salt = [...randomBytes(21)].map((b) => alphabet[b % 64]).join('') + '.Oeu'[randomBytes(1)[0]! % 4];
  const env = { ...process.env, MZBUILD_TEST_PASSWORD: password, MZBUILD_TEST_SALT: `$2b$05$${salt}` };
  const perl = spawnSync('perl', ['-e', 'print crypt($ENV{MZBUILD_TEST_PASSWORD}, $ENV{MZBUILD_TEST_SALT})'], { env, encoding: 'utf8' });
  if (perl.status === 0 && /^\$2b\$05\$.{53}$/.test(perl.stdout)) return perl.stdout;
  const htpasswd = spawnSync('htpasswd', ['-inB', 'user'], { input: password, encoding: 'utf8' });
  if (htpasswd.status === 0) return htpasswd.stdout.trim().split(':')[1]!;
  throw new Error('cannot make a bcrypt hash for htpasswd: install apache2-utils (apt-get install apache2-utils)');
}

/** What pushImage put: the manifest's digest and its bytes, and what it refers to. */
export interface PushedImage {
  digest: string;
  manifest: string;
  mediaType: string;
  /** The manifest's length in bytes. */
  size: number;
  config: { digest: string; size: number };
  layers: { digest: string; size: number }[];
}

export interface PushImageOptions {
  authorization?: string;
  /** Makes the config, and so the digest, differ between images; default `<repository>:<tag>`. */
  label?: string;
  /** The config's `architecture` (default amd64) and `os` (default linux). */
  architecture?: string;
  os?: string;
  /** The layer blob (default: a gzipped empty tar), e.g. a large one to see it streamed. */
  layer?: Buffer;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/**
 * Pushes a tiny image (a config blob, one gzipped layer, an OCI manifest) through the registry
 * API, with monolithic uploads (POST, then PUT with the digest), as a test fixture. `label` makes
 * the config, and so the digest, differ between images. Without a tag, the manifest is put by
 * its digest only (as the images of an index are).
 */
export async function pushImage(host: string, repository: string, tag: string | undefined, options: PushImageOptions = {}): Promise<PushedImage> {
  const headers: Record<string, string> = options.authorization ? { authorization: options.authorization } : {};
  const tar = Buffer.alloc(1024); // an empty tar archive: two zero blocks
  const layer = options.layer ?? gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: options.architecture ?? 'amd64',
      os: options.os ?? 'linux',
      config: { Labels: { 'mzbuild.test': options.label ?? `${repository}:${tag}` } },
      rootfs: { type: 'layers', diff_ids: [sha256(options.layer ? layer : tar)] },
    }),
  );
  return putImage(host, repository, tag, config, { blob: layer, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }, headers);
}

/**
 * Uploads an image's config and single layer, then puts its OCI manifest under `reference` (a
 * tag; its own digest when undefined), and says what it put.
 */
async function putImage(
  host: string,
  repository: string,
  reference: string | undefined,
  config: Buffer,
  layer: { blob: Buffer; mediaType: string; annotations?: Record<string, string> },
  headers: Record<string, string>,
): Promise<PushedImage> {
  for (const blob of [config, layer.blob]) await uploadBlob(host, repository, blob, headers);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [
      {
        mediaType: layer.mediaType,
        digest: sha256(layer.blob),
        size: layer.blob.length,
        ...(layer.annotations ? { annotations: layer.annotations } : {}),
      },
    ],
  });
  const digest = sha256(Buffer.from(manifest));
  await putManifest(host, repository, reference ?? digest, OCI_MANIFEST, manifest, headers);
  return {
    digest,
    manifest,
    mediaType: OCI_MANIFEST,
    size: Buffer.byteLength(manifest),
    config: { digest: sha256(config), size: config.length },
    layers: [{ digest: sha256(layer.blob), size: layer.blob.length }],
  };
}

/** What pushIndex put: the index, and the attestation manifests it lists. */
export interface PushedIndex {
  digest: string;
  manifest: string;
  attestations: PushedImage[];
}

/**
 * Pushes an OCI index of images already in the repository, as buildx makes them: each image with
 * its platform and, with `attestations`, an attestation manifest after it (an in-toto layer,
 * platform `unknown/unknown`, annotations pointing at the image).
 */
export async function pushIndex(
  host: string,
  repository: string,
  tag: string,
  images: { platform: { os: string; architecture: string; variant?: string }; image: PushedImage }[],
  options: { authorization?: string; attestations?: boolean } = {},
): Promise<PushedIndex> {
  const headers: Record<string, string> = options.authorization ? { authorization: options.authorization } : {};
  const manifests: object[] = [];
  const attestations: PushedImage[] = [];
  for (const { platform, image } of images) {
    manifests.push({ mediaType: image.mediaType, digest: image.digest, size: image.size, platform });
    if (!options.attestations) continue;
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', subject: [{ digest: image.digest }] }));
    const config = Buffer.from(JSON.stringify({ architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(statement)] } }));
    const attestation = await putImage(
      host,
      repository,
      undefined,
      config,
      { blob: statement, mediaType: 'application/vnd.in-toto+json', annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' } },
      headers,
    );
    attestations.push(attestation);
    manifests.push({
      mediaType: OCI_MANIFEST,
      digest: attestation.digest,
      size: attestation.size,
      annotations: { 'vnd.docker.reference.digest': image.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
      platform: { architecture: 'unknown', os: 'unknown' },
    });
  }
  const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }, null, 2);
  await putManifest(host, repository, tag, OCI_INDEX, index, headers);
  return { digest: sha256(Buffer.from(index)), manifest: index, attestations };
}

export async function putManifest(host: string, repository: string, reference: string, mediaType: string, body: string, headers: Record<string, string>): Promise<void> {
  const put = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': mediaType },
    body,
  });
  if (put.status !== 201) throw new Error(`PUT manifest ${repository}:${reference}: ${put.status} ${await put.text()}`);
}

export async function uploadBlob(host: string, repository: string, blob: Buffer, headers: Record<string, string>): Promise<void> {
  const start = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers });
  if (start.status !== 202) throw new Error(`POST blob upload to ${repository}: ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get('location')!, `http://${host}`);
  location.searchParams.set('digest', sha256(blob));
  const put = await fetch(location, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    body: blob,
  });
  if (put.status !== 201) throw new Error(`PUT blob to ${repository}: ${put.status} ${await put.text()}`);
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
