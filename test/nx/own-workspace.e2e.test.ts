import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { plain } from '../support/nx-workspace';

/**
 * This repository's own workspace, as `npm run demo` and a developer use it: Nx loads the plugin
 * from the workspace package (packages/nx), on the Node that runs the tests and on the system's
 * Node 20, which has no TypeScript stripping and no swc or ts-node to fall back on.
 */
const ROOT = join(__dirname, '../..');
const NODES = [...new Set([process.execPath, '/usr/bin/node'].filter((node) => existsSync(node)))];

function nx(node: string, args: string[]): string {
  const run = spawnSync(node, [join(ROOT, 'node_modules/nx/dist/bin/nx.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_SKIP_NX_CACHE: 'true' },
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`${node} nx ${args.join(' ')} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  return plain(run.stdout);
}

describe.each(NODES)('on %s', (node) => {
  it('lists the example images and runs their fingerprint targets', () => {
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    expect(version).toMatch(/^v(20|22|24)\./);
    expect(JSON.parse(nx(node, ['show', 'projects', '--projects=tag:mzbuild', '--json'])).sort()).toEqual(['demo-app', 'demo-base', 'demo-hello']);
    const output = nx(node, ['run-many', '-t', 'fingerprint', '--projects=tag:mzbuild', '--output-style=static']);
    expect(output).toMatch(/127\.0\.0\.1:5000\/mzbuild-examples\/demo-app:mzbuild-[A-Z2-7]{32}/);
    expect(output).toContain('Successfully ran target fingerprint for 3 projects');
  });
});
