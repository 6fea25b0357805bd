import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
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
    /** `127.0.0.1:PORT`, as a registry is named in references. */
    readonly host: string,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(options: { auth?: RegistryServerAuth } = {}): Promise<RegistryServer> {
    const binary = registryBinary();
    const dir = mkdtempSync(join(tmpdir(), 'mzbuild-registry-'));
    const port = await freePort();
    writeFileSync(join(dir, 'config.yml'), registryConfig(dir, port, options.auth));
    const child = spawn(binary, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const server = new RegistryServer(`127.0.0.1:${port}`, dir, child);
    const deadline = Date.now() + 10_000;
    for (;;) {
      // Any answer from /v2/ (200, or 401 with auth) means it is serving.
      if (await fetch(`http://${server.host}/v2/`).then(() => true, () => false)) return server;
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

function registryConfig(dir: string, port: number, auth: RegistryServerAuth | undefined): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
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

/** What pushImage put: the manifest's digest and its bytes. */
export interface PushedImage {
  digest: string;
  manifest: string;
}

/**
 * Pushes a tiny image (a config blob, one gzipped layer, an OCI manifest) through the registry
 * API, with monolithic uploads (POST, then PUT with the digest), as a test fixture. `label` makes
 * the config, and so the digest, differ between images.
 */
export async function pushImage(
  host: string,
  repository: string,
  tag: string,
  options: { authorization?: string; label?: string } = {},
): Promise<PushedImage> {
  const headers: Record<string, string> = options.authorization ? { authorization: options.authorization } : {};
  const tar = Buffer.alloc(1024); // an empty tar archive: two zero blocks
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'mzbuild.test': options.label ?? `${repository}:${tag}` } },
      rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
    }),
  );
  for (const blob of [config, layer]) await uploadBlob(host, repository, blob, headers);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
  });
  const put = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  if (put.status !== 201) throw new Error(`PUT manifest ${repository}:${tag}: ${put.status} ${await put.text()}`);
  return { digest: sha256(Buffer.from(manifest)), manifest };
}

async function uploadBlob(host: string, repository: string, blob: Buffer, headers: Record<string, string>): Promise<void> {
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
