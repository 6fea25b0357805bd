// Signing keys, read from a file or from PEM text: cosign's encrypted private keys, unencrypted PKCS#8 ones, PKIX public keys; ECDSA P-256 only.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors';
import { COSIGN_PRIVATE_KEY, decryptKey, KeyDecryptionError, SIGSTORE_PRIVATE_KEY } from './encrypted-key';
import { decodePemBlocks, type PemBlock } from './pem';

/** A key signatures are checked with. */
export interface PublicKey {
  key: KeyObject;
  /** `sha256:<hex>` of the key's PKIX (SubjectPublicKeyInfo) DER: what the verified-signature cache remembers a key by. */
  fingerprint: string;
  /** The key as a `PUBLIC KEY` PEM block, as cosign writes cosign.pub. */
  pem: string;
}

/** A key signatures are made with, and its public half. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: PublicKey;
}

/**
 * Where a key is: a file (`{ path }`), PEM text (`{ pem }`), or a string that is PEM text when it
 * holds a `-----BEGIN` line and a file name otherwise, as cosign's `--key` takes either. Messages
 * name the file only when it is given as `{ path }`: a string that is neither might be key
 * material pasted wrong, and is never repeated.
 */
export type KeySource = string | { path: string } | { pem: string };

export interface ReadKeyOptions {
  /** Says where the key came from in messages (`MZBUILD_SIGNING_KEY`); default `the signing key` (with the path, for `{ path }`). */
  label?: string;
}

/** The only curve cosign generates and mzbuild signs with: P-256, which Node names prime256v1. */
const CURVE = 'prime256v1';

/**
 * A private key: cosign's `ENCRYPTED COSIGN PRIVATE KEY` (or `ENCRYPTED SIGSTORE PRIVATE KEY`),
 * opened with `password`, or an unencrypted PKCS#8 `PRIVATE KEY`. A UserError when it cannot be
 * read, is another kind of key, or the password is wrong; no message holds the key's text or the
 * password.
 */
export async function readSigningKey(source: KeySource, password: string | undefined, options: ReadKeyOptions = {}): Promise<SigningKey> {
  const label = labelOf(source, options, 'the signing key');
  const fail = (why: string) => new UserError(`cannot read ${label}: ${why}`);
  const blocks = decodePemBlocks(await sourceText(source, fail));
  const block = blocks.find((b) => [COSIGN_PRIVATE_KEY, SIGSTORE_PRIVATE_KEY, 'PRIVATE KEY'].includes(b.type));
  if (!block) throw fail(`it holds no ${COSIGN_PRIVATE_KEY} or PRIVATE KEY block${foundTypes(blocks)}`);
  let der = block.bytes;
  if (block.type !== 'PRIVATE KEY') {
    if (password === undefined) throw fail('it is encrypted, and no password was given');
    try {
      der = await decryptKey(block.bytes, password);
    } catch (error) {
      if (error instanceof KeyDecryptionError) throw fail(error.message);
      throw error;
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    throw fail('its content is not a PKCS#8 private key');
  }
  checkCurve(privateKey, fail);
  return { privateKey, publicKey: publicKeyOf(createPublicKey(privateKey)) };
}

/** Every `PUBLIC KEY` block of a file or a text (a list of trusted keys may hold several); at least one. */
export async function readPublicKeys(source: KeySource, options: ReadKeyOptions = {}): Promise<PublicKey[]> {
  const label = labelOf(source, options, 'the public key');
  const fail = (why: string) => new UserError(`cannot read ${label}: ${why}`);
  const blocks = decodePemBlocks(await sourceText(source, fail));
  const keys = blocks.filter((b) => b.type === 'PUBLIC KEY').map((b) => publicKeyFromDer(b.bytes, fail));
  if (keys.length === 0) throw fail(`it holds no PUBLIC KEY block${foundTypes(blocks)}`);
  return keys;
}

/** The one `PUBLIC KEY` block of a file or a text, as cosign.pub holds it. */
export async function readPublicKey(source: KeySource, options: ReadKeyOptions = {}): Promise<PublicKey> {
  const keys = await readPublicKeys(source, options);
  if (keys.length > 1) throw new UserError(`cannot read ${labelOf(source, options, 'the public key')}: it holds ${keys.length} public keys, not one`);
  return keys[0]!;
}

/** A public KeyObject with its fingerprint and PEM. */
export function publicKeyOf(key: KeyObject): PublicKey {
  const der = key.export({ type: 'spki', format: 'der' });
  return { key, fingerprint: `sha256:${createHash('sha256').update(der).digest('hex')}`, pem: key.export({ type: 'spki', format: 'pem' }) as string };
}

/** A password file as skopeo's --sign-passphrase-file reads it: the first line, without its `\n`. */
export async function readPasswordFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read the password file ${path}: ${codeOf(error)}`);
  }
  const newline = text.indexOf('\n');
  return newline === -1 ? text : text.slice(0, newline);
}

function publicKeyFromDer(der: Buffer, fail: (why: string) => UserError): PublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    throw fail('its PUBLIC KEY block is not a PKIX public key');
  }
  checkCurve(key, fail);
  return publicKeyOf(key);
}

function checkCurve(key: KeyObject, fail: (why: string) => UserError): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== CURVE) {
    const kind = key.asymmetricKeyType === 'ec' ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve}` : `an ${key.asymmetricKeyType} key`;
    throw fail(`it is ${kind}; mzbuild signs with ECDSA P-256 keys (cosign's)`);
  }
}

async function sourceText(source: KeySource, fail: (why: string) => UserError): Promise<string> {
  if (typeof source === 'object') {
    if ('pem' in source) return source.pem;
    try {
      return await readFile(source.path, 'utf8');
    } catch (error) {
      throw fail(codeOf(error));
    }
  }
  if (source.includes('-----BEGIN')) return source;
  try {
    return await readFile(source, 'utf8');
  } catch (error) {
    throw fail(`it is not PEM text, and no file of that name can be read (${codeOf(error)})`);
  }
}

function labelOf(source: KeySource, options: ReadKeyOptions, what: string): string {
  if (options.label !== undefined) return options.label;
  return typeof source === 'object' && 'path' in source ? `${what} ${source.path}` : what;
}

/** The types of the blocks there are, for a message about the one that is missing. */
function foundTypes(blocks: PemBlock[]): string {
  return blocks.length === 0 ? ' (no PEM block at all)' : ` (it has ${[...new Set(blocks.map((b) => b.type))].join(', ')})`;
}

/** `ENOENT`: Node's messages for a file name the path, which for a string source may be key material. */
function codeOf(error: unknown): string {
  return (error as { code?: string }).code ?? 'it cannot be read';
}
