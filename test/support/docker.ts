import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Fails the test, saying what to run, when the Docker Engine is not there: tests never skip. */
export function requireDocker(): void {
  const result = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new Error(
      `these tests need a running Docker Engine (docker info: ${(result.stderr || result.error?.message || '').trim()}); run tools/setup, which installs and starts it`,
    );
  }
}

/** A name no other test uses: tests share one daemon. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Removes images from the engine, ignoring ones that are not there. */
export function removeImages(...references: string[]): void {
  if (references.length > 0) spawnSync('docker', ['image', 'rm', '--force', ...references], { encoding: 'utf8' });
}

export function imageLabels(reference: string): Record<string, string> {
  return JSON.parse(execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', reference], { encoding: 'utf8' }));
}

export function imageExists(reference: string): boolean {
  return spawnSync('docker', ['image', 'inspect', reference], { encoding: 'utf8' }).status === 0;
}
