// Making a key pair, and writing it as cosign generate-key-pair does: cosign.key (encrypted) and cosign.pub.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../errors';
import { COSIGN_PRIVATE_KEY, encryptKey } from './encrypted-key';
import { publicKeyOf, type SigningKey } from './keys';
import { encodePem } from './pem';

/** A new key pair, and its two files' text. */
export interface GeneratedKeyPair {
  key: SigningKey;
  /** `ENCRYPTED COSIGN PRIVATE KEY` PEM, encrypted with the password. */
  privatePem: string;
  /** `PUBLIC KEY` PEM (PKIX). */
  publicPem: string;
}

/** A new ECDSA P-256 key pair; the private key in cosign's encrypted format, readable by cosign and containers/image. */
export async function generateKeyPair(password: string): Promise<GeneratedKeyPair> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const privatePem = encodePem(COSIGN_PRIVATE_KEY, await encryptKey(pkcs8, password));
  const pub = publicKeyOf(publicKey);
  return { key: { privateKey, publicKey: pub }, privatePem, publicPem: pub.pem };
}

/**
 * Writes a new key pair into `dir` as `cosign.key` (readable by its owner alone) and `cosign.pub`
 * (or `<name>.key` and `<name>.pub`, `name` a path relative to `dir`, as `mzimage keygen --output`).
 * Files that are there already are left alone, and it is a UserError: a key overwritten is every
 * signature made with it lost.
 */
export async function writeKeyPair(dir: string, password: string, name = 'cosign'): Promise<GeneratedKeyPair & { privatePath: string; publicPath: string }> {
  const privatePath = resolve(dir, `${name}.key`);
  const publicPath = resolve(dir, `${name}.pub`);
  // Both checked first, so that a pair is not left half written beside an old half.
  for (const path of [privatePath, publicPath]) if (existsSync(path)) throw exists(path);
  const pair = await generateKeyPair(password);
  await create(privatePath, pair.privatePem, 0o600);
  await create(publicPath, pair.publicPem, 0o644);
  return { ...pair, privatePath, publicPath };
}

async function create(path: string, text: string, mode: number): Promise<void> {
  try {
    await writeFile(path, text, { flag: 'wx', mode });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EEXIST') throw exists(path);
    throw new UserError(`cannot write ${path}: ${code ?? 'it cannot be written'}`);
  }
}

function exists(path: string): UserError {
  return new UserError(`${path} exists already; move it away, or write the key pair elsewhere`);
}
