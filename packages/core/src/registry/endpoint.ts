// Where a registry's API answers: HTTPS, or plain HTTP for loopback and listed insecure registries.
import { apiHost, registryHostname } from './reference';

/** Registries spoken to over plain HTTP besides loopback ones: `host[:port]`, comma-separated. */
export const INSECURE_REGISTRIES_ENV = 'MZBUILD_INSECURE_REGISTRIES';

/**
 * Whether a registry is spoken to over plain HTTP. Docker does so for loopback registries
 * (localhost, 127.0.0.0/8, ::1) with any port, since nothing crosses a network there, and for
 * those the user lists as insecure. A listed host without a port matches every port of it.
 */
export function isInsecureRegistry(registry: string, env: NodeJS.ProcessEnv): boolean {
  const host = registryHostname(registry).toLowerCase();
  if (isLoopbackHost(host)) return true;
  const listed = (env[INSECURE_REGISTRIES_ENV] ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  return listed.includes(registry.toLowerCase()) || listed.includes(host);
}

/** `http(s)://<api host>`, the origin of a registry's `/v2/` API. */
export function registryOrigin(registry: string, env: NodeJS.ProcessEnv): string {
  return `${isInsecureRegistry(registry, env) ? 'http' : 'https'}://${apiHost(registry)}`;
}

/** localhost, 127.0.0.0/8 or [::1]: nothing crosses a network, so no TLS and no proxy, as for docker. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
