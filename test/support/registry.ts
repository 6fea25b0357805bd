import { spawnSync } from 'node:child_process';

/** The loopback registry that tools/setup starts. */
export const LOOPBACK_REGISTRY = '127.0.0.1:5000';

/** Fails the test, saying what to run, when the loopback registry does not answer. */
export async function requireLoopbackRegistry(): Promise<void> {
  try {
    const response = await fetch(`http://${LOOPBACK_REGISTRY}/v2/`);
    if (response.ok) return;
    throw new Error(`status ${response.status}`);
  } catch (error) {
    throw new Error(`these tests need a registry on ${LOOPBACK_REGISTRY} (${(error as Error).message}); run tools/setup, which starts one`);
  }
}

export function dockerPush(reference: string): void {
  const result = spawnSync('docker', ['push', reference], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker push ${reference} failed: ${result.stderr}`);
}
