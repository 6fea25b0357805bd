// The existence check: whether images are in their registries, many at once, where a registry that cannot answer means "build it" rather than a failure.
import { CertificatesError } from './certs';
import { RegistryError, RegistryNetworkError } from './errors';
import { MANIFEST_ACCEPT } from './media-types';
import { formatReference, manifestReference, parseReference, type ImageReference } from './reference';
import { pullScope } from './scopes';
import type { RegistrySession } from './session';
import type { HttpRequest } from './transport';

/** What a registry says of an image: there, not there, or nothing to be relied on. */
export type Existence = 'present' | 'absent' | 'unknown';

/** An existence answer with, for a present image, the digest its HEAD named (Docker-Content-Digest), if the registry sent one. */
export interface Presence {
  existence: Existence;
  digest?: string;
}

/**
 * Checks every reference with `HEAD /v2/<name>/manifests/<tag or digest>`: 200 is 'present',
 * 404 'absent', anything else 'unknown' once retries and authentication are exhausted, and
 * `warn` hears once per registry why. The map is keyed by the references as given; equal
 * references after normalisation are asked once. Only malformed references, and a registry's
 * certificates directory that cannot be used (certs.ts), throw (UserErrors).
 */
export async function checkExistence(
  session: RegistrySession,
  references: string[],
  warn: (registry: string, message: string) => void,
): Promise<Map<string, Existence>> {
  const answers = await checkPresence(session, references, warn);
  return new Map([...answers].map(([reference, answer]) => [reference, answer.existence]));
}

/**
 * The existence check, with each present image's manifest digest from the same HEAD's
 * Docker-Content-Digest: what a caller verifying signatures, or pulling by digest, needs, at no
 * further request. `onPresent` hears of each present image as soon as its HEAD answers (with
 * the reference as given), so that what follows (a signature's GETs) need not wait for the batch.
 */
export async function checkPresence(
  session: RegistrySession,
  references: string[],
  warn: (registry: string, message: string) => void,
  onPresent?: (reference: string, presence: Presence) => void,
): Promise<Map<string, Presence>> {
  // Parse them all before any request: a malformed one is the caller's to fix, and says so.
  const keys = new Map<string, string>();
  const unique = new Map<string, ImageReference>();
  const asGiven = new Map<string, string[]>();
  for (const reference of references) {
    const parsed = parseReference(reference);
    const key = formatReference(parsed);
    keys.set(reference, key);
    unique.set(key, parsed);
    asGiven.set(key, [...(asGiven.get(key) ?? []), reference]);
  }

  const answers = new Map<string, Presence>();
  const failures = new Map<string, string>();
  // One ping per registry and batch: a registry that is down is found so once, not per image.
  const pings = new Map<string, Promise<void>>();
  await Promise.all(
    [...unique].map(async ([key, ref]) => {
      try {
        const answer = await check(session, ref, pings);
        answers.set(key, answer);
        if (onPresent && answer.existence === 'present') for (const reference of asGiven.get(key)!) onPresent(reference, answer);
      } catch (error) {
        if (error instanceof CertificatesError) throw error; // a file of the user's to mend, not a registry that cannot answer
        answers.set(key, { existence: 'unknown' });
        if (!failures.has(ref.registry)) failures.set(ref.registry, summary(error));
      }
    }),
  );

  for (const [registry, reason] of failures) warn(registry, `registry ${registry} ${reason}; images will be built locally`);
  return new Map(references.map((reference) => [reference, answers.get(keys.get(reference)!)!]));
}

async function check(session: RegistrySession, ref: ImageReference, pings: Map<string, Promise<void>>): Promise<Presence> {
  let ping = pings.get(ref.registry);
  if (!ping) pings.set(ref.registry, (ping = session.ready(ref.registry)));
  await ping;

  const req: HttpRequest = { method: 'HEAD', url: session.url(ref, `manifests/${manifestReference(ref)}`), headers: { accept: MANIFEST_ACCEPT } };
  // Unlike publishing's reads, no redirect is followed: a registry answers a manifest's HEAD itself.
  const response = await session.send(ref, pullScope(ref), req, { redirects: false });
  const fields = { status: response.status };
  switch (response.status) {
    case 200: {
      const digest = header(response.headers, 'docker-content-digest');
      return digest && /^sha256:[0-9a-f]{64}$/.test(digest) ? { existence: 'present', digest } : { existence: 'present' };
    }
    case 404:
      return { existence: 'absent' };
    case 401:
    case 403:
      throw session.error(ref.registry, `refused access to ${ref.repository} (${response.status}, ${await session.describeCredentials(ref.registry)})`, fields);
    default:
      throw session.error(ref.registry, `answered ${response.status} for ${formatReference(ref)}`, fields);
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** What one warning says of a registry for all of its images: what went wrong, not with which request. */
function summary(error: unknown): string {
  if (error instanceof RegistryNetworkError) return error.failure;
  if (error instanceof RegistryError) return error.reason;
  return `failed unexpectedly (${(error as Error)?.message ?? error})`;
}
