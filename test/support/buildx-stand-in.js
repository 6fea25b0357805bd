#!/usr/bin/env node
// A docker client with the buildx plugin, for tests: Debian packages no buildx, so this stands in
// for it in front of the real docker (MZBUILD_DOCKER points here). `buildx version` answers;
// `buildx inspect` knows builder remote-x (driver remote) and container-x (docker-container);
// `buildx build` builds with the real engine's classic builder and, with --push, pushes to the
// real registry and removes the image from the engine, as a remote BuildKit leaves nothing there.
// Every call is logged (SHIM_LOG, one JSON array per line); everything else goes to docker.
'use strict';
const { spawnSync } = require('node:child_process');
const { appendFileSync, readFileSync } = require('node:fs');

const args = process.argv.slice(2);
appendFileSync(process.env.SHIM_LOG, `${JSON.stringify(args)}\n`);
const docker = (argv, input) => {
  const result = spawnSync('/usr/bin/docker', argv, { stdio: [input === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'], input, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  return result.status ?? 1;
};
const DRIVERS = { 'remote-x': 'remote', 'container-x': 'docker-container' };

if (args[0] === 'buildx' && args[1] === 'version') {
  console.log('github.com/docker/buildx v0.17.0 (a stand-in for tests)');
  process.exit(0);
}
if (args[0] === 'buildx' && args[1] === 'inspect') {
  const driver = DRIVERS[args[2]];
  if (!driver) {
    console.error(`ERROR: no builder "${args[2]}" found`);
    process.exit(1);
  }
  console.log(`Name:          ${args[2]}\nDriver:        ${driver}\nLast Activity: 2026-12-02 10:00:00 +0000 UTC`);
  process.exit(0);
}
if (args[0] === 'buildx' && args[1] === 'build') {
  const rest = [];
  let push = false;
  let tag;
  for (let i = 2; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--builder') i++;
    else if (arg === '--push') push = true;
    else if (arg === '--load' || arg.startsWith('--progress')) continue;
    else {
      if (arg === '--tag') tag = args[i + 1];
      rest.push(arg);
    }
  }
  let status = docker(['build', ...rest], readFileSync(0));
  if (status === 0 && push) status = docker(['push', '--quiet', tag]);
  if (status === 0 && push) status = docker(['rmi', '--force', tag]);
  process.exit(status);
}
process.exit(docker(args));
