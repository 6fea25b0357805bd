/** Parsing `mzbuild.yml`: YAML 1.1, checked against the schema, every error located at its file, line and column. */
import { Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { located, UserError } from '../errors';
import { KNOWN_KEYS, manifestSchema, type ManifestData } from './schema';
import type { Manifest } from './types';
import { firstLine } from '../text';

export interface ParsedManifest {
  manifest: Manifest;
  /** Located warnings, e.g. for keys mzbuild ignores. */
  warnings: string[];
}

/**
 * Parses and validates one `mzbuild.yml` as YAML 1.1 (so `yes`/`no` are booleans, as PyYAML reads
 * them). Every problem in the file is reported at once, each with its line and column, in one
 * UserError; `file` is the path shown in messages.
 */
export function parseManifest(text: string, file: string): ParsedManifest {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', lineCounter, prettyErrors: false });
  const at = (offset: number | undefined, message: string): string => {
    if (offset === undefined) return located(file, undefined, undefined, message);
    const { line, col } = lineCounter.linePos(offset);
    return located(file, line, col, message);
  };

  const [syntaxError] = doc.errors;
  if (syntaxError) {
    // Only the first: the ones after it are mostly the parser losing its way.
    throw new UserError(at(syntaxError.pos[0], `invalid YAML: ${firstLine(syntaxError.message)}`));
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (data === null || data === undefined) {
    throw new UserError(at(undefined, 'the manifest is empty; it needs at least `name: <image name>`'));
  }
  if (!isMap(doc.contents)) {
    throw new UserError(at(0, 'the manifest must be a YAML map of keys such as `name`, `publish` and `pre-image`'));
  }

  const result = manifestSchema.safeParse(data);
  if (!result.success) {
    throw new UserError(result.error.issues.map((issue) => describeIssue(doc, issue, at)).join('\n'));
  }
  return { manifest: toManifest(result.data), warnings: unknownKeyWarnings(doc, at) };
}

type At = (offset: number | undefined, message: string) => string;

function describeIssue(doc: Document, issue: z.core.$ZodIssue, at: At): string {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  const offset = deepestNode(doc, path)?.range?.[0];
  return at(offset, `${keyPath(path)} ${issue.message}`.trim());
}

/** The node at `path`, or its nearest ancestor that exists (a missing key is reported at its map). */
function deepestNode(doc: Document, path: (string | number)[]): Node | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node)) return node;
  }
  return undefined;
}

/** `pre-image[0].bin`, the way a reader finds the key in the file. */
function keyPath(path: (string | number)[]): string {
  if (path.length === 0) return '';
  return '`' + path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('') + '`';
}

function unknownKeyWarnings(doc: Document, at: At): string[] {
  const warnings: string[] = [];
  const check = (map: unknown, known: readonly string[], where: string) => {
    if (!isMap(map)) return;
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key === 'string' && known.includes(key)) continue;
      const offset = isNode(pair.key) ? pair.key.range?.[0] : undefined;
      warnings.push(
        at(offset, `warning: unknown key ${JSON.stringify(String(key))}${where} is ignored (known keys: ${known.join(', ')})`),
      );
    }
  };
  check(doc.contents, KNOWN_KEYS.manifest, '');
  const steps = doc.get('pre-image', true);
  if (isSeq(steps)) {
    steps.items.forEach((step, index) => {
      if (!isMap(step)) return;
      const type = step.get('type');
      if (type === 'cargo-build' || type === 'copy') check(step, KNOWN_KEYS[type], ` in pre-image[${index}]`);
    });
  }
  return warnings;
}

function toManifest(data: ManifestData): Manifest {
  const manifest: Manifest = {
    name: data.name,
    publish: data.publish,
    mainline: data.mainline,
    buildArgs: Object.fromEntries(Object.entries(data['build-args']).map(([k, v]) => [k, pythonStr(v)])),
    preImages: data['pre-image'].map((step) =>
      step.type === 'copy'
        ? { type: 'copy', source: step.source, destination: step.destination, matching: step.matching }
        : {
            type: 'cargo-build',
            bins: step.bin,
            examples: step.example,
            strip: step.strip,
            extract: step.extract,
            features: step.features,
          },
    ),
  };
  if (data.description !== undefined && data.description !== null) manifest.description = data.description;
  return manifest;
}

/** mzbuild renders build-arg values with Python's `str()`: `True`, `None`, `1.5`. */
function pythonStr(value: string | number | boolean | null): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}
