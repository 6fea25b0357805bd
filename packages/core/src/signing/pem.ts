// PEM blocks and base64 as Go's encoding/pem and encoding/base64 write them, since cosign's files and signatures are written by Go.

/** One PEM block: its type (`PUBLIC KEY`) and the bytes its base64 holds. */
export interface PemBlock {
  type: string;
  bytes: Buffer;
}

/** Go's pem.Encode: the type in the armour lines, standard base64 in lines of 64, a newline after the last line. */
export function encodePem(type: string, bytes: Buffer): string {
  const base64 = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/**
 * Every PEM block of a text, in order. A block whose END line does not match its BEGIN line, or
 * whose body is not base64, is not a block (Go's pem.Decode skips it too); headers inside a block
 * (`Proc-Type:`) are not supported, since no key of cosign's has them.
 */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const [, type, body] of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g)) {
    const bytes = decodeBase64(body!.replace(/\r?\n/g, ''));
    if (bytes !== undefined) blocks.push({ type: type!, bytes });
  }
  return blocks;
}

/**
 * Standard base64 with padding, strictly: Buffer.from ignores characters outside the alphabet and
 * missing padding, so that two texts could decode to one value; here only the one text that
 * encodes the bytes is taken.
 */
export function decodeBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
