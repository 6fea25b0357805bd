// Helpers for the cache server's tests: the real `mzimage cache-server` as a child process, a workspace with one cacheable target, Nx run without blocking.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { NxWorkspace, type NxRun } from './nx-workspace';

const REPO_ROOT = join(__dirname, '../..');
const MZIMAGE = join(REPO_ROOT, 'packages/core/bin/mzimage');
const NX_BIN = join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js');

/** A repository name no other test (or engineer) shares on the loopback registry. */
export function uniqueRepository(registry: string, what: string): string {
  return `${registry}/mzbuild-test/nx-cache-${what}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export class CacheServerProcess {
  stderr = '';
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(args: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO_ROOT): Promise<CacheServerProcess> {
    const child = spawn(process.execPath, [MZIMAGE, 'cache-server', ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`cache-server exited with ${code}: ${err}`)));
    });
    const server = new CacheServerProcess(url, child);
    child.stderr!.on('data', (chunk: Buffer) => (server.stderr += chunk.toString('utf8')));
    server.stderr = err;
    return server;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** A workspace whose one project has a cacheable `build` writing `size` random bytes (and a marker) into dist/app. */
export function cacheableWorkspace(pluginOptions: Record<string, unknown>, size = 256 << 10, salt = ''): NxWorkspace {
  const ws = new NxWorkspace(pluginOptions);
  const command = `node -e "const fs=require('fs');fs.mkdirSync('dist/app',{recursive:true});fs.writeFileSync('dist/app/blob.bin',require('crypto').randomBytes(${size}));fs.writeFileSync('dist/app/out.txt','built from '+fs.readFileSync('apps/app/src.txt','utf8'));console.log('BUILT')"`;
  ws.write({
    'apps/app/src.txt': `hello ${salt}\n`,
    'apps/app/project.json': JSON.stringify({
      name: 'app',
      root: 'apps/app',
      targets: { build: { command, cache: true, inputs: ['{projectRoot}/**/*'], outputs: ['{workspaceRoot}/dist/app'] } },
    }),
  });
  ws.commit();
  return ws;
}

/** Nx with its cache on (NxWorkspace turns it off), without blocking the test: for runs that overlap. */
export function nxAsync(ws: NxWorkspace, args: string[], env: NodeJS.ProcessEnv = {}): Promise<NxRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NX_BIN, ...args], {
      cwd: ws.root,
      env: { ...process.env, MZBUILD_CACHE_DIR: ws.path('.nx/mzbuild-cache'), NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', NX_SKIP_NX_CACHE: 'false', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}
