// cosign's encrypted private keys: go-tuf's envelope (scrypt, then nacl/secretbox) around a PKCS#8 key, read and written byte for byte as cosign has them.
import { randomBytes, scrypt } from 'node:crypto';
import { isObject } from '../registry/manifests';
import { decodeBase64 } from './pem';

/** The PEM type cosign (and containers/image, which accepts no other) writes its private keys under. */
export const COSIGN_PRIVATE_KEY = 'ENCRYPTED COSIGN PRIVATE KEY';
/** The type newer cosign releases write; the envelope inside is the same, so it is read too. */
export const SIGSTORE_PRIVATE_KEY = 'ENCRYPTED SIGSTORE PRIVATE KEY';

/** go-tuf's only parameters: its Decrypt refuses any others (`unexpected kdf parameters`). */
const N = 32768;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 32;
const NONCE_BYTES = 24;
/** scrypt needs 128·N·r = 32 MiB for these parameters; Node's default maxmem (32 MiB) is just short of it. */
const MAX_MEMORY = 64 << 20;

/** Why an envelope cannot be opened; its message names no byte of the key or the password. */
export class KeyDecryptionError extends Error {
  constructor(
    message: string,
    /** The envelope is sound and the password does not open it. */
    readonly wrongPassword = false,
  ) {
    super(message);
  }
}

type Nacl = typeof import('tweetnacl');
/** Loaded when a key is read or made, not by everything that imports core. */
const nacl = (): Nacl => require('tweetnacl') as Nacl;

/**
 * The PKCS#8 key inside an envelope (the base64-decoded body of the PEM block). Throws a
 * KeyDecryptionError: `wrongPassword` when the envelope is well formed and secretbox refuses it.
 */
export async function decryptKey(envelope: Buffer, password: string): Promise<Buffer> {
  let json: unknown;
  try {
    json = JSON.parse(envelope.toString('utf8'));
  } catch {
    throw new KeyDecryptionError('it is not a cosign key: its content is not JSON');
  }
  const kdf = isObject(json) && isObject(json['kdf']) ? json['kdf'] : undefined;
  const params = kdf && isObject(kdf['params']) ? kdf['params'] : undefined;
  const cipher = isObject(json) && isObject(json['cipher']) ? json['cipher'] : undefined;
  if (!isObject(json) || kdf?.['name'] !== 'scrypt' || cipher?.['name'] !== 'nacl/secretbox') {
    throw new KeyDecryptionError('it is not a cosign key: it is not encrypted with scrypt and nacl/secretbox');
  }
  if (params?.['N'] !== N || params['r'] !== R || params['p'] !== P) {
    throw new KeyDecryptionError(`its scrypt parameters are not N=${N}, r=${R}, p=${P}, the only ones cosign uses`);
  }
  const salt = bytesField(kdf['salt']);
  const nonce = bytesField(cipher['nonce']);
  const ciphertext = bytesField(json['ciphertext']);
  if (!salt || !nonce || nonce.length !== NONCE_BYTES || !ciphertext) {
    throw new KeyDecryptionError('it is not a cosign key: its salt, nonce or ciphertext is missing or malformed');
  }
  const key = await deriveKey(password, salt);
  const opened = nacl().secretbox.open(ciphertext, nonce, key);
  if (opened === null) throw new KeyDecryptionError('the password is wrong (or the key file is damaged)', true);
  return Buffer.from(opened);
}

/**
 * The envelope cosign's generate-key-pair writes (go-tuf's encrypted.Encrypt): a fresh salt and
 * nonce, and the JSON in Go's field order, its byte fields in standard base64.
 */
export async function encryptKey(pkcs8: Buffer, password: string): Promise<Buffer> {
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const key = await deriveKey(password, salt);
  const ciphertext = Buffer.from(nacl().secretbox(pkcs8, nonce, key));
  const envelope = {
    kdf: { name: 'scrypt', params: { N, r: R, p: P }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: ciphertext.toString('base64'),
  };
  return Buffer.from(JSON.stringify(envelope));
}

function deriveKey(password: string, salt: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { N, r: R, p: P, maxmem: MAX_MEMORY }, (error, key) => (error ? reject(error) : resolve(new Uint8Array(key)))),
  );
}

/** A Go `[]byte` field: standard base64, strictly. */
function bytesField(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string') return undefined;
  const bytes = decodeBase64(value);
  return bytes === undefined ? undefined : new Uint8Array(bytes);
}
