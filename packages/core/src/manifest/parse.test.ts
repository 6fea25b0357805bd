import { parseManifest } from './parse';

const parse = (text: string) => parseManifest(text, 'images/x/mzbuild.yml');
const errorOf = (text: string): string => {
  try {
    parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
};

describe('parseManifest', () => {
  it('fills in mzbuild defaults', () => {
    expect(parse('name: base\n').manifest).toEqual({ name: 'base', publish: true, mainline: true, buildArgs: {}, preImages: [] });
  });

  it('reads YAML 1.1, where yes and no are booleans', () => {
    const { manifest } = parse('name: a\npublish: no\nmainline: yes\n');
    expect(manifest.publish).toBe(false);
    expect(manifest.mainline).toBe(true);
  });

  it('reads every key of a cargo-build step, wrapping single names in lists', () => {
    const { manifest } = parse(
      [
        'name: app',
        'description: The app.',
        'build-args:',
        '  FLAG: true',
        '  LEVEL: 3',
        'pre-image:',
        '  - type: cargo-build',
        '    bin: app',
        '    example: [demo, bench]',
        '    strip: false',
        '    features: app/fast',
        '    extract:',
        '      protobuf-src:',
        '        bin: protobuf-bin',
        '  - type: copy',
        '    source: assets',
        '    destination: static',
        '',
      ].join('\n'),
    );
    expect(manifest).toEqual({
      name: 'app',
      description: 'The app.',
      publish: true,
      mainline: true,
      buildArgs: { FLAG: 'True', LEVEL: '3' },
      preImages: [
        { type: 'cargo-build', bins: ['app'], examples: ['demo', 'bench'], strip: false, features: ['app/fast'], extract: { 'protobuf-src': { bin: 'protobuf-bin' } } },
        { type: 'copy', source: 'assets', destination: 'static', matching: '*' },
      ],
    });
  });

  it('warns about unknown keys, with their line, and otherwise ignores them', () => {
    const { manifest, warnings } = parse('name: a\nsplit_debuginfo: true\npre-image:\n  - type: cargo-build\n    bin: a\n    rustflags: x\n');
    expect(manifest.name).toBe('a');
    expect(warnings).toEqual([
      expect.stringMatching(/^images\/x\/mzbuild.yml:2:1: warning: unknown key "split_debuginfo" is ignored/),
      expect.stringMatching(/^images\/x\/mzbuild.yml:6:5: warning: unknown key "rustflags" in pre-image\[0\] is ignored/),
    ]);
  });

  it.each([
    ['a missing name', 'description: x\n', 'images/x/mzbuild.yml:1:1: `name` is required'],
    ['an invalid name', 'name: my_image\n', 'images/x/mzbuild.yml:1:7: `name` "my_image" contains an invalid character; only letters, digits and hyphens'],
    ['a name that is not a string', 'name: [a]\n', 'images/x/mzbuild.yml:1:7: `name` must be the image name'],
    ['a non-boolean publish', 'name: a\npublish: maybe\n', 'images/x/mzbuild.yml:2:10: `publish` must be true or false'],
    ['a cargo-build without target', 'name: a\npre-image:\n  - type: cargo-build\n    strip: no\n', 'images/x/mzbuild.yml:3:5: `pre-image[0]` mzbuild config is missing pre-build target'],
    ['an unknown pre-image type', 'name: a\npre-image:\n  - type: cargo-test\n', 'images/x/mzbuild.yml:3:11: `pre-image[0].type` unknown pre-image type "cargo-test"; allowed: cargo-build, copy'],
    ['a copy without source', 'name: a\npre-image:\n  - type: copy\n    destination: d\n', 'images/x/mzbuild.yml:3:5: `pre-image[0].source` is required'],
    ['a bin that is a number', 'name: a\npre-image:\n  - type: cargo-build\n    bin: 3\n', 'images/x/mzbuild.yml:4:10: `pre-image[0].bin` must be the names of Cargo binaries to build'],
    ['a YAML syntax error', 'name: a\n  bad: [\n', 'images/x/mzbuild.yml:1:7: invalid YAML: Nested mappings are not allowed'],
    ['a duplicate key', 'name: a\nname: b\n', 'images/x/mzbuild.yml:2:1: invalid YAML: Map keys must be unique'],
    ['an empty file', '', 'images/x/mzbuild.yml: the manifest is empty'],
    ['a list at the top', '- name: a\n', 'images/x/mzbuild.yml:1:1: the manifest must be a YAML map'],
  ])('reports %s with file, line and column', (_what, text, expected) => {
    expect(errorOf(text)).toContain(expected);
  });

  it('reports every problem of a file at once', () => {
    expect(errorOf('name: a_b\npublish: 2\n').split('\n')).toHaveLength(2);
  });
});
