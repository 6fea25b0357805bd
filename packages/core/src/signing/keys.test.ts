import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors';
import { generateKeyPair, writeKeyPair } from './generate';
import { readPasswordFile, readPublicKey, readPublicKeys, readSigningKey } from './keys';
import { decodePemBlocks } from './pem';
import { signPayload, verifyPayload } from './verify';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-keys-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PASSWORD = 'correct horse battery staple';
const data = Buffer.from('a payload');

/** The error a call fails with, which must be a UserError. */
async function failure(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('it did not fail');
}

describe('writeKeyPair', () => {
  it('writes cosign.key and cosign.pub in cosign’s formats, and they read back and sign', async () => {
    const out = join(dir, 'pair');
    mkdirSync(out);
    const pair = await writeKeyPair(out, PASSWORD);
    const keyText = readFileSync(join(out, 'cosign.key'), 'utf8');
    const pubText = readFileSync(join(out, 'cosign.pub'), 'utf8');
    expect(keyText).toMatch(/^-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n$/);
    expect(pubText).toMatch(/^-----BEGIN PUBLIC KEY-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END PUBLIC KEY-----\n$/);
    expect(statSync(join(out, 'cosign.key')).mode & 0o777).toBe(0o600);

    // The envelope is go-tuf's, field for field and in its order.
    const envelope = decodePemBlocks(keyText)[0]!.bytes.toString();
    expect(envelope).toMatch(
      /^\{"kdf":\{"name":"scrypt","params":\{"N":32768,"r":8,"p":1\},"salt":"[A-Za-z0-9+/]{43}="\},"cipher":\{"name":"nacl\/secretbox","nonce":"[A-Za-z0-9+/]{32}"\},"ciphertext":"[A-Za-z0-9+/=]+"\}$/,
    );

    const key = await readSigningKey({ path: join(out, 'cosign.key') }, PASSWORD);
    const pub = await readPublicKey(join(out, 'cosign.pub'));
    expect(key.publicKey.fingerprint).toBe(pub.fingerprint);
    expect(pub.fingerprint).toBe(pair.key.publicKey.fingerprint);
    expect(pub.pem).toBe(pubText);
    expect(verifyPayload(data, signPayload(data, key), pub)).toBe(true);
  });

  it('leaves a pair that is there alone, and says so', async () => {
    const out = join(dir, 'existing');
    mkdirSync(out);
    writeFileSync(join(out, 'cosign.pub'), 'old');
    expect(await failure(() => writeKeyPair(out, PASSWORD))).toMatch(/cosign\.pub exists already/);
    expect(() => statSync(join(out, 'cosign.key'))).toThrow();
    expect(readFileSync(join(out, 'cosign.pub'), 'utf8')).toBe('old');
  });
});

describe('readSigningKey', () => {
  it('reads PEM text as well as a file, and an unencrypted PKCS#8 key without a password', async () => {
    const pair = await generateKeyPair(PASSWORD);
    expect((await readSigningKey(pair.privatePem, PASSWORD)).publicKey.fingerprint).toBe(pair.key.publicKey.fingerprint);
    const pkcs8 = pair.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect((await readSigningKey({ pem: pkcs8 }, undefined)).publicKey.fingerprint).toBe(pair.key.publicKey.fingerprint);
  });

  it('says that the password is wrong, and no message holds the password or the key’s text', async () => {
    const pair = await generateKeyPair(PASSWORD);
    const path = join(dir, 'wrong.key');
    writeFileSync(path, pair.privatePem);
    const pkcs8 = pair.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const body = (pem: string) => pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
    const secrets = [PASSWORD, 'the wrong one', ...body(pair.privatePem), ...body(pkcs8)];
    const corrupt = pair.privatePem.replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA');
    const messages = [
      await failure(() => readSigningKey({ path }, 'the wrong one')),
      await failure(() => readSigningKey(pair.privatePem, 'the wrong one')),
      await failure(() => readSigningKey(pair.privatePem, undefined)),
      await failure(() => readSigningKey(corrupt, PASSWORD)),
      await failure(() => readSigningKey(body(pair.privatePem).join(''), PASSWORD)),
      await failure(() => readSigningKey(pkcs8.replace(/PRIVATE KEY/g, 'PRIVATE KEX'), PASSWORD)),
      await failure(() => readSigningKey({ pem: pkcs8.replace(/\n[A-Za-z0-9+/]{8}/, '\nAAAAAAAA') }, PASSWORD)),
      await failure(() => readPublicKey(pkcs8)),
    ];
    expect(messages[0]).toBe(`cannot read the signing key ${path}: the password is wrong (or the key file is damaged)`);
    expect(messages[1]).toMatch(/^cannot read the signing key: the password is wrong/);
    expect(messages[2]).toMatch(/encrypted, and no password was given/);
    expect(messages[4]).toMatch(/it is not PEM text, and no file of that name can be read \((?:ENOENT|ENAMETOOLONG)\)$/);
    expect(messages[5]).toMatch(/holds no ENCRYPTED COSIGN PRIVATE KEY or PRIVATE KEY block \(it has PRIVATE KEX\)/);
    for (const message of messages) for (const secret of secrets) expect(message).not.toContain(secret);
  });

  it('refuses keys that are not ECDSA P-256, saying what they are', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(await failure(() => readSigningKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, undefined))).toMatch(/it is an rsa key; mzbuild signs with ECDSA P-256 keys/);
    expect(await failure(() => readPublicKey(p384.publicKey.export({ type: 'spki', format: 'pem' }) as string))).toMatch(/an EC key on secp384r1/);
  });

  it('names a file given as { path } that cannot be read, by its code', async () => {
    expect(await failure(() => readSigningKey({ path: join(dir, 'none.key') }, PASSWORD))).toBe(`cannot read the signing key ${join(dir, 'none.key')}: ENOENT`);
    expect(await failure(() => readSigningKey({ path: join(dir, 'none.key') }, PASSWORD, { label: 'MZBUILD_SIGNING_KEY' }))).toBe('cannot read MZBUILD_SIGNING_KEY: ENOENT');
  });
});

describe('readPublicKeys', () => {
  it('reads every PUBLIC KEY block of a list of trusted keys; readPublicKey wants one', async () => {
    const [a, b] = [await generateKeyPair(''), await generateKeyPair('')];
    const list = `# trusted\n${a.publicPem}\n${b.publicPem}`;
    expect((await readPublicKeys(list)).map((k) => k.fingerprint)).toEqual([a.key.publicKey.fingerprint, b.key.publicKey.fingerprint]);
    expect(await failure(() => readPublicKey(list))).toMatch(/holds 2 public keys, not one/);
    expect(await failure(() => readPublicKeys('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'))).toMatch(/not a PKIX public key/);
  });
});

describe('readPasswordFile', () => {
  it('takes the first line without its newline, as skopeo’s --sign-passphrase-file does', async () => {
    writeFileSync(join(dir, 'pw1'), 'probe-pass');
    writeFileSync(join(dir, 'pw2'), 'probe-pass\nsecond line\n');
    writeFileSync(join(dir, 'pw3'), 'probe-pass\r\n');
    expect(await readPasswordFile(join(dir, 'pw1'))).toBe('probe-pass');
    expect(await readPasswordFile(join(dir, 'pw2'))).toBe('probe-pass');
    expect(await readPasswordFile(join(dir, 'pw3'))).toBe('probe-pass\r');
  });
});
