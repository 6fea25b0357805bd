/** A second Docker Engine beside the shared one, with its own data root, exec root, pidfile and socket, for tests of DOCKER_HOST. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class SecondEngine {
  private constructor(
    private readonly dir: string,
    private readonly child: ChildProcess,
    /** For DOCKER_HOST. */
    readonly host: string,
    private readonly bridge: string,
  ) {}

  /**
   * Starts Debian's dockerd on a socket of its own, with a bridge of its own and no iptables
   * rules: the shared engine owns docker0 and the host's rules. Not `--bridge=none`: a dockerd
   * started so deletes docker0, which every other test's `docker run` on the shared engine needs.
   */
  static async start(): Promise<SecondEngine> {
    // Short: a unix socket's path has a limit of about 100 bytes, and containerd's below it too.
    const dir = mkdtempSync(join(tmpdir(), 'mzd-'));
    const socket = join(dir, 'docker.sock');
    const log = join(dir, 'dockerd.log');
    const bridge = `mzd${process.pid % 100000}`;
    for (const args of [['link', 'add', bridge, 'type', 'bridge'], ['addr', 'add', '10.231.0.1/24', 'dev', bridge], ['link', 'set', bridge, 'up']]) {
      const made = spawnSync('ip', args, { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`a second dockerd needs a bridge of its own: ip ${args.join(' ')} failed (${made.stderr.trim()}); run the tests as root, with iproute2 (apt-get install iproute2)`);
    }
    const args = ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'docker.pid'), '-H', `unix://${socket}`, `--bridge=${bridge}`, '--iptables=false', '--ip6tables=false', '--ip-masq=false'];
    const child = spawn('sh', ['-c', 'exec dockerd "$@" >"$LOG" 2>&1', 'dockerd', ...args], { env: { ...process.env, LOG: log }, stdio: 'ignore' });
    const engine = new SecondEngine(dir, child, `unix://${socket}`, bridge);
    const started = Date.now();
    while (Date.now() - started < 60_000) {
      if (child.exitCode !== null) break;
      if (existsSync(socket) && spawnSync('/usr/bin/docker', ['-H', engine.host, 'info', '--format', '{{.ServerVersion}}']).status === 0) return engine;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n') : '(no log)';
    await engine.stop();
    throw new Error(`a second dockerd (Debian's docker.io, run as root) could not start on ${socket}: ${tail}`);
  }

  /** docker against this engine. */
  docker(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    return spawnSync('/usr/bin/docker', ['-H', this.host, ...args], { encoding: 'utf8' });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      if (this.child.exitCode === null) this.child.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
    spawnSync('ip', ['link', 'del', this.bridge]);
  }
}
