import { parseMzfrom, rewriteMzfrom } from './dockerfile';

const DOCKERFILE = [
  'MZFROM base AS build',
  'MZFROMtight',
  '  MZFROM indented',
  'mzfrom lower',
  'FROM scratch',
  'MZFROM base',
  'MZFROM',
  'COPY --from=build /x /x',
].join('\n');

describe('MZFROM', () => {
  it('is found at column 0, upper case, with or without a space, duplicates kept', () => {
    expect(parseMzfrom(DOCKERFILE)).toEqual([
      { name: 'base', line: 1 },
      { name: 'tight', line: 2 },
      { name: 'base', line: 6 },
    ]);
  });

  it('is rewritten to FROM the reference, keeping the rest of the line and every other line', () => {
    const rewritten = rewriteMzfrom(DOCKERFILE, (name) => `reg/${name}:mzbuild-FP`);
    expect(rewritten.split('\n')).toEqual([
      'FROM reg/base:mzbuild-FP AS build',
      'FROM reg/tight:mzbuild-FP',
      '  MZFROM indented',
      'mzfrom lower',
      'FROM scratch',
      'FROM reg/base:mzbuild-FP',
      'MZFROM',
      'COPY --from=build /x /x',
    ]);
  });

  it('keeps CRLF line ends', () => {
    expect(rewriteMzfrom('MZFROM a\r\nRUN x\r\n', () => 'r/a:t')).toBe('FROM r/a:t\r\nRUN x\r\n');
  });
});
