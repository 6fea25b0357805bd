import { writeFileSync } from 'node:fs';
import { startSccache } from '../../packages/core/src/preimage/sccache';
import { ToolDir } from '../support/build-tools';
import { errorOf } from '../support/resolve';

/**
 * When cargo runs through sccache and what a run's numbers are, with stand-in sccaches on a PATH
 * of their own: one that prints the statistics it is given, and one too old for JSON. (The real
 * sccache is in test/acquire/sccache.test.ts.)
 */
let tools: ToolDir;
const stats = (hits: number, misses: number) =>
  JSON.stringify({ stats: { compile_requests: 9, cache_hits: { counts: { Rust: hits - 1, C: 1 } }, cache_misses: { counts: { Rust: misses } } } }) + '\n';

beforeEach(() => {
  tools = new ToolDir();
  // Prints stats.json, with shell builtins only (its PATH has nothing else).
  tools.script('bin/sccache', `[ "$1 $2" = "--show-stats --stats-format=json" ] || exit 2\nwhile IFS= read -r line; do echo "$line"; done < '${tools.path('stats.json')}'\n`);
  tools.script('old/sccache', 'echo "error: unexpected argument --stats-format" >&2\nexit 2\n');
  tools.script('other/wrapper', 'exec "$@"\n');
});
afterEach(() => tools.dispose());

const only = (dir: string) => ({ PATH: tools.path(dir) });

it('is off with auto when no sccache is on PATH and RUSTC_WRAPPER is not set, and with false always', async () => {
  expect(await startSccache('auto', only('none'))).toBeUndefined();
  expect(await startSccache('auto', { ...only('none'), RUSTC_WRAPPER: '' })).toBeUndefined();
  expect(await startSccache(false, { ...only('bin'), RUSTC_WRAPPER: 'sccache' })).toBeUndefined();
  expect(await startSccache(undefined, only('bin'))).toBeUndefined();
});

it('says what to install when sccache is asked for and not there', async () => {
  expect(await errorOf(startSccache(true, only('none')))).toBe(
    'sccache is asked for (--sccache, MZBUILD_SCCACHE or the sccache option) but is not on PATH: install it (apt-get install sccache), or set RUSTC_WRAPPER to one',
  );
});

it('sets RUSTC_WRAPPER and CARGO_INCREMENTAL, and counts the hits and misses between start and finish', async () => {
  writeFileSync(tools.path('stats.json'), stats(5, 2));
  const run = (await startSccache('auto', only('bin')))!;
  expect(run.env).toEqual({ RUSTC_WRAPPER: 'sccache', CARGO_INCREMENTAL: '0' });
  writeFileSync(tools.path('stats.json'), stats(8, 3));
  expect(await run.finish()).toEqual({ hits: 3, misses: 1 });
});

it('counts from zero when the server stopped in between', async () => {
  writeFileSync(tools.path('stats.json'), stats(5, 2));
  const run = (await startSccache(true, only('bin')))!;
  writeFileSync(tools.path('stats.json'), stats(1, 4));
  expect(await run.finish()).toEqual({ hits: 1, misses: 4 });
});

it('keeps a RUSTC_WRAPPER the user set, claiming no numbers for one that is not sccache', async () => {
  const wrapper = tools.path('other/wrapper');
  const run = (await startSccache('auto', { ...only('none'), RUSTC_WRAPPER: wrapper }))!;
  expect(run.env).toEqual({ RUSTC_WRAPPER: wrapper, CARGO_INCREMENTAL: '0' });
  expect(await run.finish()).toEqual({ unknown: `RUSTC_WRAPPER=${wrapper} is not sccache, so it gives no statistics` });
});

it('builds on with an sccache too old for JSON statistics, saying so', async () => {
  const old = tools.path('old/sccache');
  const run = (await startSccache(true, { ...only('none'), RUSTC_WRAPPER: old }))!;
  expect(run.env['RUSTC_WRAPPER']).toBe(old);
  expect(await run.finish()).toEqual({ unknown: `${old} gives no statistics as JSON (sccache --show-stats --stats-format=json needs sccache 0.3 or later)` });
});
