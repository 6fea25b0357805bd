import { matchesPathspec } from './pathspec';

describe('matchesPathspec', () => {
  it.each([
    ['*', 'a/b/c.txt', true],
    ['*.txt', 'a/b/c.txt', true],
    ['*.txt', 'a/b/c.rs', false],
    ['a', 'a/b/c.txt', true],
    ['a', 'ab/c.txt', false],
    ['a/b/c.txt', 'a/b/c.txt', true],
    ['a/?/c.txt', 'a/b/c.txt', true],
    ['[ab]/*', 'b/x', true],
    ['[!ab]/*', 'b/x', false],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(matchesPathspec(pattern, path)).toBe(expected);
  });
});
