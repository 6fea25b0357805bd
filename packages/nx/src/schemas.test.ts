import { ARCHES, COMPAT_MODES, PROFILES, SANITIZERS, sharedOptionsSchema } from '@mzbuild/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pluginOptionsSchema } from './options';

/**
 * The executors' and generators' JSON schemas are what Nx validates options with and Nx Console
 * shows; the image configuration in them must be core's, key for key and value for value.
 */
const schema = (name: string) => JSON.parse(readFileSync(join(__dirname, '../schemas', `${name}.json`), 'utf8'));
/**
 * `compat` is the workspace's alone (nx.json, or MZBUILD_COMPAT): the projects' inputs are
 * inferred in that mode, so a task that fingerprinted in another would be selected by the wrong
 * inputs.
 */
const WORKSPACE_ONLY = ['compat'];
const SHARED = Object.keys(sharedOptionsSchema.shape)
  .filter((key) => !WORKSPACE_ONLY.includes(key))
  .sort();
const ENUMS: Record<string, readonly string[]> = { profile: PROFILES, arch: ARCHES, sanitizer: SANITIZERS, compat: COMPAT_MODES };

it.each(['fingerprint', 'docker-build', 'publish'])('%s takes every option of the image configuration, with core\'s values', (name) => {
  const { properties, additionalProperties, description } = schema(name);
  expect(description).toEqual(expect.any(String));
  expect(additionalProperties).toBe(false);
  for (const key of SHARED) expect(Object.keys(properties)).toContain(key);
  for (const key of WORKSPACE_ONLY) expect(Object.keys(properties)).not.toContain(key);
  for (const [key, values] of Object.entries(ENUMS)) if (properties[key]) expect(properties[key].enum).toEqual([...values]);
});

it('init takes only options the plugin knows, with core\'s values', () => {
  const { properties, description } = schema('init');
  expect(description).toEqual(expect.any(String));
  for (const key of Object.keys(properties)) expect(Object.keys(pluginOptionsSchema.shape)).toContain(key);
  for (const [key, values] of Object.entries(ENUMS)) if (properties[key]) expect(properties[key].enum).toEqual([...values]);
});

it('every executor and generator has a schema with a description', () => {
  const root = join(__dirname, '..');
  const executors = JSON.parse(readFileSync(join(root, 'executors.json'), 'utf8')).executors;
  const generators = JSON.parse(readFileSync(join(root, 'generators.json'), 'utf8')).generators;
  for (const entry of [...Object.values(executors), ...Object.values(generators)] as { schema: string; description: string }[]) {
    expect(entry.description).toEqual(expect.any(String));
    expect(JSON.parse(readFileSync(join(root, entry.schema), 'utf8')).description).toEqual(expect.any(String));
  }
});
