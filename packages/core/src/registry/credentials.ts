// Finding a registry's credentials as docker does: credential helpers, config.json, and GitHub's tokens for ghcr.io.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB } from './reference';

/** A user name and password (or token) for Basic auth, and where they came from. */
export interface Credentials {
  username: string;
  password: string;
  /** For messages, never secret: `credential helper "osxkeychain"`, `~/.docker/config.json`, `GITHUB_TOKEN`. */
  source: string;
}

/** What a look-up found: credentials, or nothing; `problem` says what went wrong on the way, for messages. */
export interface CredentialLookup {
  credentials?: Credentials;
  problem?: string;
}

/** Docker's key for Docker Hub in config.json (auths, credHelpers) and for credential helpers. */
export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = [DOCKER_HUB_SERVER, 'index.docker.io', DOCKER_HUB, 'registry-1.docker.io'];

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string } | undefined>;
  credsStore?: string;
  credHelpers?: Record<string, string | undefined>;
}

/** The directory of docker's config.json: `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env['DOCKER_CONFIG'] || join(env['HOME'] || homedir(), '.docker');
}

/**
 * Finds credentials for a registry as docker does: the credential helper configured for it
 * (`credHelpers`), else the default store (`credsStore`), else `auths` in config.json. A helper
 * that is missing or fails gives no credentials, not an error: anonymous access may still work.
 * For ghcr.io, `GHCR_TOKEN` or `GITHUB_TOKEN` stand in when docker knows of nothing, as they do
 * in GitHub Actions (GHCR takes any user name with a token).
 */
export async function lookupCredentials(registry: string, env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<CredentialLookup> {
  const problems: string[] = [];
  const configFile = join(dockerConfigDir(env), 'config.json');
  const config = readConfig(configFile, problems);
  const keys = registry === DOCKER_HUB ? DOCKER_HUB_ALIASES : [registry];
  // Helpers are asked with the key docker itself uses: Hub's legacy URL, else the host.
  const serverUrl = registry === DOCKER_HUB ? DOCKER_HUB_SERVER : registry;

  const helpers = [
    ...keys.map((key) => config.credHelpers?.[key]).filter((h): h is string => typeof h === 'string' && h !== ''),
    ...(typeof config.credsStore === 'string' && config.credsStore !== '' ? [config.credsStore] : []),
  ];
  for (const helper of new Set(helpers)) {
    const found = await runHelper(helper, serverUrl, env, timeoutMs);
    if ('problem' in found) problems.push(found.problem);
    else if (found.credentials) return { credentials: found.credentials };
  }

  const fromAuths = authsEntry(config, keys, configFile);
  if (fromAuths) return { credentials: fromAuths };

  if (registry === 'ghcr.io') {
    for (const name of ['GHCR_TOKEN', 'GITHUB_TOKEN']) {
      const token = env[name];
      if (token) return { credentials: { username: 'token', password: token, source: name } };
    }
  }
  return problems.length > 0 ? { problem: problems.join('; ') } : {};
}

function readConfig(file: string, problems: string[]): DockerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {}; // no config: no credentials, as for docker
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as DockerConfig;
  } catch {
    // reported below
  }
  problems.push(`${file} is not a JSON object`);
  return {};
}

/** `auths` keys may be hosts or URLs (`https://ghcr.io`, Hub's `https://index.docker.io/v1/`). */
function authsEntry(config: DockerConfig, keys: string[], configFile: string): Credentials | undefined {
  if (config.auths === null || typeof config.auths !== 'object') return undefined;
  for (const [key, entry] of Object.entries(config.auths)) {
    if (!keys.includes(key) && !keys.includes(hostOf(key))) continue;
    if (entry === null || typeof entry !== 'object') continue;
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source: configFile };
    }
    if (typeof entry.username === 'string' && typeof entry.password === 'string' && entry.username !== '') {
      return { username: entry.username, password: entry.password, source: configFile };
    }
  }
  return undefined;
}

/** docker's ConvertToHostname: `https://ghcr.io/v1/` → `ghcr.io`. */
function hostOf(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0]!;
}

type HelperResult = { credentials?: Credentials } | { problem: string };

/**
 * Runs `docker-credential-<helper> get` with the server URL on stdin, found on the PATH of `env`.
 * Its output is never put in messages (a helper may echo what it holds), only searched: exit
 * status 1 with "credentials not found" is a helper's way of saying it has nothing for a server.
 */
function runHelper(helper: string, serverUrl: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<HelperResult> {
  const program = `docker-credential-${helper}`;
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
    return Promise.resolve({ problem: `credential helper name ${JSON.stringify(helper)} is not valid` });
  }
  return new Promise((resolve) => {
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    // spawn's own `timeout` leaves its timer running when the program is not found: keep our own.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const done = (result: HelperResult) => {
      clearTimeout(timer);
      resolve(result);
    };
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdin.on('error', () => undefined); // a helper that exits without reading stdin
    child.on('error', (error: NodeJS.ErrnoException) => {
      const problem = error.code === 'ENOENT' ? `${program} is not on PATH` : `${program} could not be run (${error.code ?? error.message})`;
      done({ problem });
    });
    child.on('close', (code, signal) => {
      if (code !== 0) {
        if (/credentials not found/i.test(stderr + Buffer.concat(stdout).toString('utf8'))) return done({});
        if (timedOut) return done({ problem: `${program} did not answer within ${timeoutMs / 1000} s` });
        return done({ problem: `${program} failed (${signal ? `killed by ${signal}` : `exit status ${code}`})` });
      }
      try {
        const reply = JSON.parse(Buffer.concat(stdout).toString('utf8')) as { Username?: unknown; Secret?: unknown };
        if (typeof reply.Username === 'string' && typeof reply.Secret === 'string' && reply.Secret !== '') {
          return done({ credentials: { username: reply.Username, password: reply.Secret, source: `credential helper ${program}` } });
        }
        done({});
      } catch {
        done({ problem: `${program} did not answer with JSON` });
      }
    });
    child.stdin.end(serverUrl);
  });
}
