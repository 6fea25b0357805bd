/** `mzimage keygen`: a cosign key pair for signing published images, its password from the environment or asked for. */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UserError } from '../errors';
import { writeKeyPair } from '../signing/generate';
import type { Invocation } from './args';

const NO_PASSWORD =
  'keygen needs a password to encrypt the key with: set MZBUILD_SIGNING_KEY_PASSWORD (publishing reads the key with it too), or run it in a terminal to be asked';

/**
 * Writes PREFIX.key (encrypted, owner-only) and PREFIX.pub, default cosign.key and cosign.pub in
 * `cwd`, and refuses to overwrite either: a key overwritten is every signature made with it lost.
 */
export async function keygen(invocation: Invocation, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const password = env['MZBUILD_SIGNING_KEY_PASSWORD'] || (process.stdin.isTTY ? await askPassword() : undefined);
  if (!password) throw new UserError(NO_PASSWORD);
  const { privatePath, publicPath } = await writeKeyPair(cwd, password, invocation.output ?? 'cosign');
  return `Private key written to ${privatePath}\nPublic key written to ${publicPath}\n`;
}

/** The password, typed twice without echo, as cosign asks for it. */
async function askPassword(): Promise<string | undefined> {
  const first = await ask('Enter password for private key: ');
  if (!first) return undefined;
  const again = await ask('Enter password for private key again: ');
  if (first !== again) throw new UserError('the two passwords differ; no key was written');
  return first;
}

function ask(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  // What is typed is not echoed: the output the interface writes to goes nowhere.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}
