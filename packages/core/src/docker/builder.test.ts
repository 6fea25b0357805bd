import { buildCommand } from './build';
import { driverOf } from './builder';
import type { DockerClient } from './client';

const client = (builder: DockerClient['builder']): DockerClient => ({ command: 'docker', builder, clientVersion: '28.2.2' });

it('reads the driver from docker buildx inspect', () => {
  expect(driverOf('Name:          ci\nDriver:        remote\nNodes:\nName: ci0\n')).toBe('remote');
  expect(driverOf('Name: x\nDriver: docker-container\n')).toBe('docker-container');
  expect(driverOf('Name: x\n')).toBeUndefined();
});

it('builds with the chosen builder, loading or pushing, else as the client can', () => {
  expect(buildCommand(client('buildx'), { name: 'ci', driver: 'remote', loads: false })).toEqual(['buildx', 'build', '--builder', 'ci', '--push']);
  expect(buildCommand(client('buildx'), { name: 'box', driver: 'docker-container', loads: true })).toEqual(['buildx', 'build', '--builder', 'box', '--load']);
  expect(buildCommand(client('buildx'))).toEqual(['buildx', 'build', '--load']);
  expect(buildCommand(client('buildkit'))).toEqual(['build']);
  expect(buildCommand(client('classic'))).toEqual(['build']);
});
