import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../packages/core/src/errors';
import { digestOf, OCI_MANIFEST } from '../../packages/core/src/registry/manifests';
import { parseReference } from '../../packages/core/src/registry/reference';
import {
  appendSignature,
  buildAttachment,
  buildPayload,
  parseAttachment,
  parsePayload,
  readPasswordFile,
  readPublicKey,
  readSigningKey,
  signatureLayer,
  signatureTag,
  signPayload,
  verifyPayload,
  verifySignatures,
  type PublicKey,
  type SignatureLayer,
} from '../../packages/core/src/signing';
import { publicKeyOf } from '../../packages/core/src/signing/keys';

/** What containers/image (skopeo 1.9.3) wrote, read back from a registry: test/vectors/cosign-signature/README.md. */
const VECTORS = join(__dirname, '../vectors/cosign-signature');
const file = (name: string) => readFileSync(join(VECTORS, name));
const IMAGE = 'sha256:de9e84e263610b5e99a6d94297c89bc82685b8d65a5e4d6a430d7978d74ad138';
const OTHER = digestOf(Buffer.from('another image'));
const SIGNATURE = 'dev.cosignproject.cosign/signature';

let cosignPub: PublicKey;
beforeAll(async () => {
  cosignPub = await readPublicKey({ path: join(VECTORS, 'cosign.pub') });
});

/** An attachment's layers with their payloads, as the registry side reads them. */
function layersOf(manifest: string, payloads: string[]): SignatureLayer[] {
  const { layers } = parseAttachment({ mediaType: OCI_MANIFEST, bytes: file(manifest) });
  return layers.map((descriptor, i) => ({ descriptor, payload: file(payloads[i]!) }));
}
const verify = (reference: string, layers: SignatureLayer[], digest = IMAGE, keys = [cosignPub]) =>
  verifySignatures(layers, { reference: parseReference(reference), digest }, keys).trusted;

it('holds the image whose digest the signatures name, under the tag sha256-<hex>.sig', () => {
  expect(digestOf(file('image-manifest.json'))).toBe(IMAGE);
  expect(signatureTag(IMAGE)).toBe('sha256-de9e84e263610b5e99a6d94297c89bc82685b8d65a5e4d6a430d7978d74ad138.sig');
});

describe('the signature containers/image wrote', () => {
  const layers = () => layersOf('signature-manifest.json', ['signature-payload.json']);

  it('verifies with cosign.pub for its reference, and by digest for its repository', () => {
    expect(verify('127.0.0.1:5000/probe-sig/s2:signed', layers())).toBe(true);
    expect(verify(`127.0.0.1:5000/probe-sig/s2@${IMAGE}`, layers())).toBe(true);
  });

  it('fails for any other digest, repository, registry or tag', () => {
    expect(verify('127.0.0.1:5000/probe-sig/s2:signed', layers(), OTHER)).toBe(false);
    for (const reference of ['127.0.0.1:5000/probe-sig/s3:signed', '127.0.0.1:5001/probe-sig/s2:signed', 'localhost:5000/probe-sig/s2:signed', '127.0.0.1:5000/probe-sig/s2:other', `127.0.0.1:5000/probe-sig/s3@${IMAGE}`]) {
      expect([reference, verify(reference, layers())]).toEqual([reference, false]);
    }
  });

  it('fails with any other key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(verify('127.0.0.1:5000/probe-sig/s2:signed', layers(), IMAGE, [publicKeyOf(publicKey)])).toBe(false);
  });

  it('fails once any byte of the payload changes, whether or not the layer’s digest is changed with it', () => {
    const [layer] = layers();
    const payload = layer!.payload!;
    for (let i = 0; i < payload.length; i++) {
      const changed = Buffer.from(payload);
      changed[i] = changed[i]! ^ 0x01;
      const redigested = { ...layer!.descriptor, digest: digestOf(changed) };
      expect([i, verify('127.0.0.1:5000/probe-sig/s2:signed', [{ descriptor: layer!.descriptor, payload: changed }])]).toEqual([i, false]);
      expect([i, verify('127.0.0.1:5000/probe-sig/s2:signed', [{ descriptor: redigested, payload: changed }])]).toEqual([i, false]);
    }
  });

  it('fails once any byte of the signature changes, or any character of its base64', () => {
    const [layer] = layers();
    const text = layer!.descriptor.annotations![SIGNATURE]!;
    const der = Buffer.from(text, 'base64');
    const withSignature = (signature: string) => [{ ...layer!, descriptor: { ...layer!.descriptor, annotations: { [SIGNATURE]: signature } } }];
    for (let i = 0; i < der.length; i++) {
      const changed = Buffer.from(der);
      changed[i] = changed[i]! ^ 0x01;
      expect([i, verify('127.0.0.1:5000/probe-sig/s2:signed', withSignature(changed.toString('base64')))]).toEqual([i, false]);
    }
    for (let i = 0; i < text.length; i++) {
      const changed = text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
      expect([i, verify('127.0.0.1:5000/probe-sig/s2:signed', withSignature(changed))]).toEqual([i, false]);
    }
  });

  it('is written again byte for byte: payload, manifest and config', () => {
    const payload = file('signature-payload.json');
    expect(buildPayload(parsePayload(payload)).equals(payload)).toBe(true);
    const [layer] = layers();
    const { manifest, config } = buildAttachment([layer!.descriptor]);
    expect(manifest.toString()).toBe(file('signature-manifest.json').toString());
    expect(config.toString()).toBe(file('signature-config.json').toString());
  });
});

describe('the manifest of two signatures', () => {
  const layers = () => layersOf('two-signatures-manifest.json', ['two-signatures-payload-0.json', 'two-signatures-payload-1.json']);
  const broken = (index: number) =>
    layers().map((layer, i) => (i !== index ? layer : { ...layer, descriptor: { ...layer.descriptor, annotations: { [SIGNATURE]: layers()[1 - i]!.descriptor.annotations![SIGNATURE]! } } }));

  it('verifies for each reference one of its signatures names, and by digest when either signature verifies', () => {
    expect(verify('127.0.0.1:5000/probe-sig/a:one', layers())).toBe(true);
    expect(verify('127.0.0.1:5000/probe-sig/a:signed', layers())).toBe(true);
    expect(verify('127.0.0.1:5000/probe-sig/a:two', layers())).toBe(false);
    // Each signature broken in turn: the other still verifies what it names, the broken one not.
    expect([verify('127.0.0.1:5000/probe-sig/a:one', broken(0)), verify('127.0.0.1:5000/probe-sig/a:signed', broken(0))]).toEqual([false, true]);
    expect([verify('127.0.0.1:5000/probe-sig/a:one', broken(1)), verify('127.0.0.1:5000/probe-sig/a:signed', broken(1))]).toEqual([true, false]);
    expect([verify(`127.0.0.1:5000/probe-sig/a@${IMAGE}`, broken(0)), verify(`127.0.0.1:5000/probe-sig/a@${IMAGE}`, broken(1))]).toEqual([true, true]);
    expect(verify(`127.0.0.1:5000/probe-sig/a@${IMAGE}`, [broken(0)[0]!, broken(1)[1]!])).toBe(false);
  });

  it('is what appending the second signature to the first writes, byte for byte', () => {
    const [first, second] = layers();
    const one = buildAttachment([first!.descriptor]);
    const { layers: existing } = parseAttachment({ mediaType: OCI_MANIFEST, bytes: one.manifest });
    const two = appendSignature({ layers: existing, diffIds: [first!.descriptor.digest] }, second!.descriptor)!;
    expect(two.manifest.toString()).toBe(file('two-signatures-manifest.json').toString());
    expect(two.config.toString()).toBe(file('two-signatures-config.json').toString());
    expect(appendSignature({ layers: [first!.descriptor, second!.descriptor], diffIds: undefined }, second!.descriptor)).toBeUndefined();
  });

  it('verifies under either key when a signature by another key is appended to it', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const mine = { privateKey, publicKey: publicKeyOf(publicKey) };
    const payload = buildPayload({ dockerReference: '127.0.0.1:5000/probe-sig/a:one', manifestDigest: IMAGE, creator: 'mzbuild test', timestamp: 1 });
    const layer = { descriptor: signatureLayer({ digest: digestOf(payload), size: payload.length }, signPayload(payload, mine)), payload };
    const onlyMine = [broken(0)[0]!, broken(1)[1]!, layer];
    expect(verify('127.0.0.1:5000/probe-sig/a:one', onlyMine, IMAGE, [mine.publicKey])).toBe(true);
    expect(verify('127.0.0.1:5000/probe-sig/a:one', onlyMine, IMAGE, [cosignPub])).toBe(false);
    expect(verify('127.0.0.1:5000/probe-sig/a:one', [...layers(), layer], IMAGE, [cosignPub])).toBe(true);
    expect(verify('127.0.0.1:5000/probe-sig/a:one', [...layers(), layer], IMAGE, [cosignPub, mine.publicKey])).toBe(true);
  });
});

describe('cosign.key', () => {
  it('opens with the password in cosign.password (its first line, without a newline) and signs what cosign.pub verifies', async () => {
    const password = await readPasswordFile(join(VECTORS, 'cosign.password'));
    expect(password).toBe('probe-pass');
    const key = await readSigningKey({ path: join(VECTORS, 'cosign.key') }, password);
    expect(key.publicKey.fingerprint).toBe(cosignPub.fingerprint);
    const payload = buildPayload({ dockerReference: '127.0.0.1:5000/probe-sig/s2:signed', manifestDigest: IMAGE, creator: 'mzbuild test', timestamp: 2 });
    const signature = signPayload(payload, key);
    expect(verifyPayload(payload, signature, cosignPub)).toBe(true);
    const layer = { descriptor: signatureLayer({ digest: digestOf(payload), size: payload.length }, signature), payload };
    expect(verify('127.0.0.1:5000/probe-sig/s2:signed', [layer])).toBe(true);
  });

  it('with a wrong password is a UserError that says so, holding neither the password nor the key', async () => {
    const text = file('cosign.key').toString();
    let error: unknown;
    await readSigningKey(text, 'probe-pasS').catch((e) => (error = e));
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe('cannot read the signing key: the password is wrong (or the key file is damaged)');
    for (const secret of ['probe-pas', ...text.split('\n').filter((l) => l.length > 8)]) expect((error as Error).message).not.toContain(secret);
  });
});
