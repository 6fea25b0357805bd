/**
 * Core's public surface is its `exports` map: the library, and the light entry points the
 * plugin's cheap paths load alone (git, inference, config-schema); nothing else of dist/ can be
 * reached, so it may move.
 */
it('exposes the library and its light entry points, and no other file', () => {
  expect(typeof require('@mzbuild/core').loadContext).toBe('function');
  expect(typeof require('@mzbuild/core/git').nearestRepositoryRoot).toBe('function');
  expect(typeof require('@mzbuild/core/inference').loadImageGraph).toBe('function');
  expect(typeof require('@mzbuild/core/config-schema').sharedOptionsSchema).toBe('object');
  expect(require('@mzbuild/core/package.json').name).toBe('@mzbuild/core');
  expect(() => require.resolve('@mzbuild/core/dist/git')).toThrow(/not exported|Cannot find module/);
  expect(() => require.resolve('@mzbuild/core/dist/registry/client.js')).toThrow(/not exported|Cannot find module/);
});
