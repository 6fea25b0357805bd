import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../../packages/core/src/docker/build';
import { dockerClient, type DockerClient } from '../../packages/core/src/docker/client';
import { imageExists, imageLabels, removeImages, requireDocker, uniqueName } from '../support/docker';

let contextDir: string;
const built: string[] = [];

beforeAll(() => {
  requireDocker();
  contextDir = mkdtempSync(join(tmpdir(), 'mzbuild-docker-'));
  writeFileSync(join(contextDir, 'hello.txt'), 'hello\n');
});
afterAll(() => {
  removeImages(...built);
  rmSync(contextDir, { recursive: true, force: true });
});

const request = (tag: string, dockerfile = 'FROM scratch\nARG GREETING\nLABEL greeting=$GREETING\nCOPY hello.txt /\n') => ({
  contextDir,
  dockerfile,
  tag,
  buildArgs: { GREETING: 'hi there' },
  labels: { 'dev.mzbuild.image': 'hello', 'dev.mzbuild.fingerprint': 'FP' },
  platform: 'linux/amd64',
});

it('detects a client that can build here', async () => {
  const client = await dockerClient();
  expect(['buildx', 'buildkit', 'classic']).toContain(client.builder);
});

const clients: [string, DockerClient][] = [['classic', { command: 'docker', builder: 'classic', clientVersion: '' }]];
if (existsSync('/usr/bin/docker')) clients.push(['buildkit', { command: '/usr/bin/docker', builder: 'buildkit', clientVersion: '' }]);

it.each(clients)('builds with the %s builder, Dockerfile on stdin, with build args and labels', async (_builder, client) => {
  const tag = `mzbuild-test/${uniqueName(client.builder)}:mzbuild-TEST`;
  built.push(tag);
  const lines: string[] = [];
  await buildImage(client, request(tag), (line) => lines.push(line));
  expect(imageExists(tag)).toBe(true);
  expect(imageLabels(tag)).toMatchObject({ 'dev.mzbuild.image': 'hello', 'dev.mzbuild.fingerprint': 'FP', greeting: 'hi there' });
  expect(lines.length).toBeGreaterThan(0);
  expect(existsSync(join(contextDir, 'Dockerfile'))).toBe(false); // nothing written into the context
});

it('fails with a UserError that names the image and the exit code', async () => {
  const client = await dockerClient();
  const tag = `mzbuild-test/${uniqueName('broken')}:x`;
  await expect(buildImage(client, request(tag, 'FROM scratch\nCOPY missing.txt /\n'), () => {})).rejects.toThrow(
    new RegExp(`docker build of ${tag.replace(/[/.]/g, '\\$&')} failed \\(exit \\d+\\)`),
  );
  expect(imageExists(tag)).toBe(false);
});
