import { envIsTruthy, ghcrRepository, imageReference, resolveConfig } from './config';

describe('resolveConfig', () => {
  it('defaults to optimized, the host architecture, no coverage, no sanitizer, the correct mode, local names', async () => {
    expect(await resolveConfig({ env: {}, hostArch: 'x64' })).toEqual({
      profile: 'optimized',
      arch: 'x86_64',
      coverage: false,
      sanitizer: 'none',
      compat: 'correct',
      registry: undefined,
      imagePrefix: '',
      mirrors: [],
      trustedKeys: [],
      cacheRegistry: undefined,
      sccache: 'auto',
      builder: undefined,
    });
    expect((await resolveConfig({ env: {}, hostArch: 'arm64' })).arch).toBe('aarch64');
  });

  it("reads mzbuild's CI variables", async () => {
    const config = await resolveConfig({ env: { CI_LTO: '1', CI_COVERAGE_ENABLED: 'true', CI_SANITIZER: 'address' }, hostArch: 'x64' });
    expect(config).toMatchObject({ profile: 'release', coverage: true, sanitizer: 'address' });
    expect((await resolveConfig({ env: { CI_LTO: 'false', CI_COVERAGE_ENABLED: '0' }, hostArch: 'x64' })).profile).toBe('optimized');
  });

  it('rejects an unknown CI_SANITIZER by name', async () => {
    await expect(resolveConfig({ env: { CI_SANITIZER: 'memory' }, hostArch: 'x64' })).rejects.toThrow(/CI_SANITIZER="memory" is not allowed; use one of none, address/);
  });

  it('takes the registry from the flag, then MZBUILD_REGISTRY, then nx.json, then a GitHub origin', async () => {
    const origin = async () => 'git@github.com:Acme/MonoRepo.git';
    const sources = { hostArch: 'x64', originUrl: origin };
    expect((await resolveConfig({ ...sources, env: {} })).registry).toBe('ghcr.io/acme/monorepo');
    expect((await resolveConfig({ ...sources, env: {}, pluginOptions: { registry: 'nx.example/r' } })).registry).toBe('nx.example/r');
    expect((await resolveConfig({ ...sources, env: { MZBUILD_REGISTRY: 'env.example/r' }, pluginOptions: { registry: 'nx.example/r' } })).registry).toBe('env.example/r');
    expect((await resolveConfig({ ...sources, env: { MZBUILD_REGISTRY: 'env.example/r' }, flags: { registry: 'flag.example/r/' } })).registry).toBe('flag.example/r');
  });

  it('takes MZBUILD_PROFILE and MZBUILD_ARCH over CI_LTO and nx.json', async () => {
    const config = await resolveConfig({ env: { CI_LTO: '1', MZBUILD_PROFILE: 'dev', MZBUILD_ARCH: 'aarch64' }, pluginOptions: { arch: 'x86_64' }, hostArch: 'x64' });
    expect(config).toMatchObject({ profile: 'dev', arch: 'aarch64' });
    await expect(resolveConfig({ env: { MZBUILD_ARCH: 'arm' }, hostArch: 'x64' })).rejects.toThrow(/MZBUILD_ARCH="arm" is not allowed/);
  });

  it('takes trusted keys from the flag, then MZBUILD_TRUSTED_KEYS (relative to cwd), then nx.json (relative to the workspace root)', async () => {
    const base = { hostArch: 'x64', cwd: '/work/sub', root: '/work', pluginOptions: { trustedKeys: ['keys/ci.pub'] } };
    expect((await resolveConfig({ ...base, env: {} })).trustedKeys).toEqual(['/work/keys/ci.pub']);
    expect((await resolveConfig({ ...base, env: { MZBUILD_TRUSTED_KEYS: 'a.pub, /k/b.pub' } })).trustedKeys).toEqual(['/work/sub/a.pub', '/k/b.pub']);
    expect((await resolveConfig({ ...base, env: { MZBUILD_TRUSTED_KEYS: 'a.pub' }, flags: { trustedKeys: ['f.pub'] } })).trustedKeys).toEqual(['/work/sub/f.pub']);
  });

  it('takes the cache registry from the flag, then MZBUILD_CACHE_REGISTRY, then nx.json', async () => {
    const base = { hostArch: 'x64', pluginOptions: { cacheRegistry: 'nx.example/pr' } };
    expect((await resolveConfig({ ...base, env: {} })).cacheRegistry).toBe('nx.example/pr');
    expect((await resolveConfig({ ...base, env: { MZBUILD_CACHE_REGISTRY: 'env.example/pr/' } })).cacheRegistry).toBe('env.example/pr');
    expect((await resolveConfig({ ...base, env: { MZBUILD_CACHE_REGISTRY: '' } })).cacheRegistry).toBe('nx.example/pr');
    expect((await resolveConfig({ ...base, env: { MZBUILD_CACHE_REGISTRY: 'env.example/pr' }, flags: { cacheRegistry: 'flag.example/pr' } })).cacheRegistry).toBe('flag.example/pr');
    expect((await resolveConfig({ hostArch: 'x64', env: {} })).cacheRegistry).toBeUndefined();
  });

  it('takes mirrors from the flag, then MZBUILD_MIRRORS, then nx.json', async () => {
    const base = { hostArch: 'x64', pluginOptions: { mirrors: ['nx.example/m'] } };
    expect((await resolveConfig({ ...base, env: {} })).mirrors).toEqual(['nx.example/m']);
    expect((await resolveConfig({ ...base, env: { MZBUILD_MIRRORS: 'a.example/m/, b.example/m' } })).mirrors).toEqual(['a.example/m', 'b.example/m']);
    expect((await resolveConfig({ ...base, env: { MZBUILD_MIRRORS: 'a.example/m' }, flags: { mirrors: ['f.example/m'] } })).mirrors).toEqual(['f.example/m']);
  });

  it('lets flags override the environment and nx.json', async () => {
    const config = await resolveConfig({ env: { CI_LTO: '1' }, pluginOptions: { profile: 'dev', arch: 'x86_64' }, flags: { profile: 'optimized', arch: 'aarch64' }, hostArch: 'x64' });
    expect(config).toMatchObject({ profile: 'optimized', arch: 'aarch64' });
  });
});

describe('ghcrRepository', () => {
  it.each([
    ['https://github.com/Acme/Repo.git', 'ghcr.io/acme/repo'],
    ['https://github.com/acme/repo', 'ghcr.io/acme/repo'],
    ['git@github.com:acme/repo.git', 'ghcr.io/acme/repo'],
    ['ssh://git@github.com/acme/repo.git', 'ghcr.io/acme/repo'],
    ['https://gitlab.com/acme/repo.git', undefined],
    [undefined, undefined],
  ])('maps %s to %s', (url, expected) => {
    expect(ghcrRepository(url)).toBe(expected);
  });
});

describe('imageReference', () => {
  it('joins registry, prefix, name and the fingerprint tag', () => {
    expect(imageReference({ registry: 'ghcr.io/a/b', imagePrefix: 'mz-' }, 'base', 'FP')).toBe('ghcr.io/a/b/mz-base:mzbuild-FP');
    expect(imageReference({ registry: undefined, imagePrefix: '' }, 'base', 'FP')).toBe('mzbuild/base:mzbuild-FP');
  });
});

describe('envIsTruthy', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['0', false],
    ['no', false],
    ['false', false],
    ['1', true],
    ['False', true],
    ['yes', true],
  ])('%j is %s', (value, expected) => expect(envIsTruthy(value)).toBe(expected));
});

describe('the sccache setting', () => {
  const sccache = async (sources: Parameters<typeof resolveConfig>[0]) => (await resolveConfig({ hostArch: 'x64', env: {}, ...sources })).sccache;

  it('takes the flag, then MZBUILD_SCCACHE, then nx.json, else auto', async () => {
    expect(await sccache({})).toBe('auto');
    expect(await sccache({ pluginOptions: { sccache: false } })).toBe(false);
    expect(await sccache({ env: { MZBUILD_SCCACHE: '1' }, pluginOptions: { sccache: false } })).toBe(true);
    expect(await sccache({ env: { MZBUILD_SCCACHE: 'auto' }, pluginOptions: { sccache: false } })).toBe('auto');
    expect(await sccache({ env: { MZBUILD_SCCACHE: 'off' }, flags: { sccache: true } })).toBe(true);
    expect(await sccache({ env: { MZBUILD_SCCACHE: '' }, pluginOptions: { sccache: true } })).toBe(true);
  });

  it('rejects an MZBUILD_SCCACHE it cannot read, by name', async () => {
    await expect(sccache({ env: { MZBUILD_SCCACHE: 'maybe' } })).rejects.toThrow('MZBUILD_SCCACHE="maybe" is not allowed; use auto, 1 (on) or 0 (off)');
  });
});
