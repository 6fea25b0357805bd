// The HTTP proxies registry requests go through, from the environment as curl, skopeo and crane read it.
/** HTTP_PROXY, HTTPS_PROXY and NO_PROXY (either case), '' where unset: the caller's environment, never process.env behind its back. */
export interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

/** The proxies of `env`, undefined when it names none; loopback registries are never proxied (transport.ts), as Go's clients, skopeo's and crane's, never proxy them. */
export function proxySettings(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  const read = (name: string) => env[name] ?? env[name.toUpperCase()] ?? '';
  const settings = { httpProxy: read('http_proxy'), httpsProxy: read('https_proxy'), noProxy: read('no_proxy') };
  return settings.httpProxy || settings.httpsProxy ? settings : undefined;
}

/** The passwords (and their encoded forms) of proxy URLs like `http://user:password@host:port`, to be redacted. */
export function proxyCredentials(settings: ProxySettings): string[] {
  const found: string[] = [];
  for (const value of [settings.httpProxy, settings.httpsProxy]) {
    try {
      const { password } = new URL(value);
      if (password) found.push(password, decodeURIComponent(password));
    } catch {
      // not a URL: undici refuses it, and says so
    }
  }
  return found;
}
