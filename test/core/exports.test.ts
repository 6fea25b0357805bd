/**
 * Core's public surface is its `exports` map: the library and `@mzbuild/core/git` (the one module
 * the plugin's cheap path loads alone); nothing else of dist/ can be reached, so it may move.
 */
it('exposes the library and its git module, and no other file', () => {
  expect(typeof require('@mzbuild/core').loadContext).toBe('function');
  expect(typeof require('@mzbuild/core/git').nearestRepositoryRoot).toBe('function');
  expect(require('@mzbuild/core/package.json').name).toBe('@mzbuild/core');
  expect(() => require.resolve('@mzbuild/core/dist/git')).toThrow(/not exported|Cannot find module/);
  expect(() => require.resolve('@mzbuild/core/dist/registry/client.js')).toThrow(/not exported|Cannot find module/);
});
