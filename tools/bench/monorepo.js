'use strict';

/**
 * Generates a synthetic git repository shaped like Materialize's monorepo, for benchmarks: 45
 * mzbuild images (15 of them building Rust), a 150-crate Cargo workspace, a 1,200-file web
 * console, and enough documentation, test data and fixtures around them to reach ~9,000 files and
 * ~130 MB. The point is realistic *proportions* — how many files each image hashes, how much they
 * share, how many bytes that costs — not realistic code: file contents are plausible-looking lines
 * drawn from a seeded PRNG, so the same options always give a byte-identical tree (and therefore
 * stable fingerprints across runs and machines).
 *
 * Generation (`writeTree`) is kept apart from git (`commitAll`) so that other benchmarks can add
 * their own files (an nx.json, say) before committing.
 *
 * `scale` (default 1) repeats the shape: at scale N the tree holds N copies of the images, the
 * crates, the console and the bulk files, copy 1 as at scale 1 and copy k under `x<k>/` with
 * names suffixed `-x<k>` (images, crates, binaries), in one Cargo workspace that shares
 * ci/builder, Cargo.toml and Cargo.lock; the large test-data files are not repeated. So scale 4
 * is 180 images, 600 crates and ~36,000 files, and every image's inputs are about as at scale 1.
 *
 * Usage as a script: `node tools/bench/monorepo.js DIR [SCALE]` generates into DIR and prints the shape.
 */

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

/** Bump whenever the generated tree changes, so that reused (`--keep`) trees are regenerated. */
const GENERATOR_VERSION = 2;

/** Written inside `.git/`, not the work tree, so that it is neither an input nor an untracked file. */
const MARKER = path.join('.git', 'mzbench-monorepo.json');

const DEFAULT_OPTIONS = Object.freeze({ seed: 0x6d7a6275, scale: 1 });

const KB = 1024;
const MB = 1024 * KB;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness. Every file draws from its own PRNG, seeded from the global seed and
// its path, so a file's content does not depend on the order in which other files are generated.
// ---------------------------------------------------------------------------------------------

/** mulberry32: tiny, fast, and good enough for shaping test data. Returns floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over UTF-16 units: a stable 32-bit hash of a string, to derive per-file seeds. */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function rngFor(seed, key) {
  return mulberry32((fnv1a(key) ^ seed) >>> 0);
}

const randInt = (rng, lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));
const pick = (rng, list) => list[Math.floor(rng() * list.length)];

/** Sizes spread over orders of magnitude, as real source files are: log-uniform in [lo, hi]. */
const logUniform = (rng, lo, hi) => Math.round(lo * Math.pow(hi / lo, rng()));

/** `count` distinct items of `list`, in list order (a partial Fisher-Yates shuffle, then sorted). */
function sample(rng, list, count) {
  const indices = list.map((_, i) => i);
  const n = Math.min(count, list.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (indices.length - i));
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  return indices.slice(0, n).sort((a, b) => a - b).map((i) => list[i]);
}

// ---------------------------------------------------------------------------------------------
// Text. Each language has a pool of lines generated once from templates; a file is a header
// naming its path (so no two files are identical) followed by lines picked from the pool until
// the file reaches its target size. Picking from a pool is what keeps 130 MB down to seconds.
// ---------------------------------------------------------------------------------------------

const WORDS = (
  'the of a to in is that for it as with be on by this are from at or an which not have has ' +
  'timestamp frontier batch shard epoch catalog cluster replica source sink index view table ' +
  'schema column row datum arrangement collection dataflow operator worker controller coordinator ' +
  'storage compute persist upsert snapshot since upper lower compaction lease reader writer ' +
  'blob consensus query plan optimize lower render decode encode parse bind resolve session ' +
  'connection secret kafka postgres mysql webhook region environment tenant deploy version'
).split(' ');
const IDENTS = (
  'id ts frontier batch shard epoch catalog cluster replica source sink index view table schema ' +
  'column row datum key val diff time upper since state config metrics handle client reader writer ' +
  'blob lease plan expr desc name oid gid conn secret buf len offset cursor part parts updates ' +
  'ctx txn tx rx timeout retry attempt duration now ws'
).split(' ');
const TYPES = (
  'GlobalId Timestamp Antichain Row Datum RelationDesc ColumnType ScalarType Diff ShardId ' +
  'ReplicaId ClusterId CatalogItem MirRelationExpr HirRelationExpr LirPlan Plan Session Config ' +
  'Metrics Handle Client Reader Writer Lease Batch Part SourceDesc SinkDesc IndexDesc Frontier ' +
  'Collection Stream Scope Controller Coordinator Connection Secret Duration Instant String Vec'
).split(' ');
const METHODS = (
  'get insert remove extend push clone iter map filter collect into_iter unwrap_or_default ' +
  'as_ref to_string len is_empty join advance_by less_equal compact downgrade append snapshot ' +
  'listen decode encode flush sync'
).split(' ');

function sentence(rng, min = 5, max = 16) {
  const n = randInt(rng, min, max);
  const words = [];
  for (let i = 0; i < n; i++) words.push(pick(rng, WORDS));
  const text = words.join(' ');
  return text[0].toUpperCase() + text.slice(1) + '.';
}

const snake = (rng) => `${pick(rng, IDENTS)}_${pick(rng, IDENTS)}`;
const num = (rng) => String(randInt(rng, 0, 4096));

const LINE_TEMPLATES = {
  rust: [
    (r) => `    let ${snake(r)} = ${pick(r, IDENTS)}.${pick(r, METHODS)}(${pick(r, IDENTS)}, ${num(r)})?;`,
    (r) => `    pub fn ${snake(r)}(&self, ${pick(r, IDENTS)}: &${pick(r, TYPES)}) -> Result<${pick(r, TYPES)}, Error> {`,
    (r) => `/// ${sentence(r)}`,
    (r) => `    // ${sentence(r)}`,
    (r) => `        match ${pick(r, IDENTS)} {`,
    (r) => `            ${pick(r, TYPES)}::${pick(r, TYPES)} => ${pick(r, IDENTS)}.${pick(r, METHODS)}(),`,
    (r) => `use mz_${pick(r, IDENTS)}::${pick(r, IDENTS)}::{${pick(r, TYPES)}, ${pick(r, TYPES)}};`,
    () => `#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]`,
    (r) => `pub struct ${pick(r, TYPES)}${pick(r, TYPES)} {`,
    (r) => `    pub ${snake(r)}: ${pick(r, TYPES)},`,
    (r) => `impl ${pick(r, TYPES)} for ${pick(r, TYPES)}${pick(r, TYPES)} {`,
    (r) => `        assert_eq!(${pick(r, IDENTS)}.${pick(r, METHODS)}(), ${num(r)});`,
    () => `    }`,
    () => `}`,
    () => ``,
  ],
  typescript: [
    (r) => `import { ${pick(r, TYPES)} } from "~/${pick(r, IDENTS)}/${pick(r, IDENTS)}";`,
    (r) => `export function use${pick(r, TYPES)}(${pick(r, IDENTS)}: ${pick(r, TYPES)}) {`,
    (r) => `  const ${pick(r, IDENTS)}${pick(r, TYPES)} = ${pick(r, IDENTS)}.${pick(r, METHODS)}(${num(r)});`,
    (r) => `      <Box ${pick(r, IDENTS)}="${pick(r, IDENTS)}">{${pick(r, IDENTS)}.${pick(r, IDENTS)}}</Box>`,
    (r) => `  // ${sentence(r)}`,
    (r) => `  return ${pick(r, IDENTS)} ?? ${num(r)};`,
    () => `}`,
    () => ``,
  ],
  python: [
    (r) => `def ${snake(r)}(self, ${pick(r, IDENTS)}: ${pick(r, TYPES)}) -> None:`,
    (r) => `    ${pick(r, IDENTS)} = ${pick(r, IDENTS)}.${pick(r, METHODS)}(${num(r)})`,
    (r) => `    """${sentence(r)}"""`,
    (r) => `from materialize.${pick(r, IDENTS)} import ${pick(r, TYPES)}`,
    (r) => `class ${pick(r, TYPES)}${pick(r, TYPES)}(${pick(r, TYPES)}):`,
    (r) => `        if ${pick(r, IDENTS)} > ${num(r)}:`,
    (r) => `            return ${pick(r, IDENTS)}`,
    () => ``,
  ],
  markdown: [
    (r) => `## ${sentence(r, 2, 5).slice(0, -1)}`,
    (r) => `${sentence(r, 12, 30)} ${sentence(r, 8, 20)}`,
    (r) => `- ${sentence(r, 4, 12)}`,
    (r) => `    SELECT ${pick(r, IDENTS)}, ${pick(r, IDENTS)} FROM ${pick(r, IDENTS)} WHERE ${pick(r, IDENTS)} > ${num(r)};`,
    () => ``,
  ],
  sql: [
    () => `statement ok`,
    (r) => `CREATE TABLE t${num(r)} (${pick(r, IDENTS)} int, ${pick(r, IDENTS)} text)`,
    (r) => `query IT rowsort`,
    (r) => `SELECT ${pick(r, IDENTS)}, ${pick(r, IDENTS)} FROM t${num(r)} WHERE ${pick(r, IDENTS)} > ${num(r)}`,
    () => `----`,
    (r) => `${num(r)}  ${pick(r, WORDS)}`,
    (r) => `> SELECT count(*) FROM ${pick(r, IDENTS)}_${pick(r, IDENTS)}`,
    (r) => `$ kafka-ingest format=avro topic=${pick(r, IDENTS)} schema=\${schema}`,
    (r) => `# ${sentence(r)}`,
    () => ``,
  ],
  config: [
    (r) => `${pick(r, IDENTS)}_${pick(r, IDENTS)} = ${num(r)}`,
    (r) => `${pick(r, IDENTS)}: "${pick(r, IDENTS)}-${pick(r, IDENTS)}"`,
    (r) => `# ${sentence(r)}`,
    () => ``,
  ],
  shell: [
    (r) => `${pick(r, IDENTS)}=\${${pick(r, IDENTS).toUpperCase()}:-${num(r)}}`,
    (r) => `if [[ -n "\${${pick(r, IDENTS).toUpperCase()}:-}" ]]; then`,
    (r) => `    exec "$@" --${pick(r, IDENTS)}-${pick(r, IDENTS)}=${num(r)}`,
    () => `fi`,
    (r) => `# ${sentence(r)}`,
  ],
};

const LANGUAGE_OF_EXTENSION = {
  '.rs': 'rust', '.ts': 'typescript', '.tsx': 'typescript', '.js': 'typescript', '.css': 'typescript',
  '.py': 'python', '.md': 'markdown', '.slt': 'sql', '.td': 'sql', '.sql': 'sql',
  '.sh': 'shell', '.toml': 'config', '.yml': 'config', '.yaml': 'config', '.conf': 'config',
  '.json': 'config', '.txt': 'config', '.svg': 'config', '.html': 'typescript',
};

const COMMENT_OF_LANGUAGE = {
  rust: '//', typescript: '//', python: '#', markdown: '<!--', sql: '#', config: '#', shell: '#',
};

/** TPC-H-style `|`-separated rows (without their leading id): what Materialize's test data looks like. */
function tableRow(rng) {
  return (
    `${randInt(rng, 1, 200000)}|${randInt(rng, 1, 10000)}|${randInt(rng, 1, 7)}|` +
    `${randInt(rng, 1, 50)}.00|${(rng() * 100000).toFixed(2)}|0.0${randInt(rng, 0, 9)}|` +
    `${pick(rng, ['N', 'R', 'A'])}|${pick(rng, ['O', 'F'])}|199${randInt(rng, 2, 8)}-0${randInt(rng, 1, 9)}-1${randInt(rng, 0, 9)}|` +
    `${pick(rng, ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'])}|` +
    `${pick(rng, ['TRUCK', 'MAIL', 'SHIP', 'AIR', 'RAIL', 'FOB'])}|${sentence(rng, 3, 8)}|`
  );
}

/**
 * Makes file contents from pools of ready-made lines, one pool per language, built once per seed.
 * Files are assembled by copying pre-encoded lines into one reusable buffer: building 130 MB of
 * strings instead spends more time in the garbage collector than in generating. The returned
 * buffers are views of that scratch buffer, valid only until the next call.
 */
class ContentMaker {
  constructor(seed, size = 4096) {
    this.pools = {};
    const templates = { ...LINE_TEMPLATES, table: [tableRow] };
    for (const [language, lineTemplates] of Object.entries(templates)) {
      const rng = rngFor(seed, `pool:${language}`);
      const lines = [];
      for (let i = 0; i < size; i++) lines.push(Buffer.from(`${pick(rng, lineTemplates)(rng)}\n`, 'latin1'));
      this.pools[language] = lines;
    }
    this.scratch = Buffer.alloc(1 * MB);
  }

  /** The scratch buffer, grown to hold at least `bytes`. */
  reserve(bytes) {
    if (this.scratch.length < bytes) this.scratch = Buffer.alloc(Math.max(bytes, 2 * this.scratch.length));
    return this.scratch;
  }

  /** About `bytes` (never fewer) of `head`, then lines drawn from the pool of `language`. */
  fill(language, head, bytes, rng) {
    const pool = this.pools[language];
    const out = this.reserve(bytes + 4 * head.length + 1024);
    let size = out.write(head, 0, 'utf8');
    while (size < bytes) size += pool[Math.floor(rng() * pool.length)].copy(out, size);
    return out.subarray(0, size);
  }

  /** A source or text file: a comment naming `file` (so no two files are alike), then pooled lines. */
  text(file, language, bytes, rng) {
    return this.fill(language, `${COMMENT_OF_LANGUAGE[language]} ${file}: generated by tools/bench/monorepo.js for benchmarks.\n`, bytes, rng);
  }

  /** Table data: numbered rows drawn from the row pool. */
  table(bytes, rng) {
    const pool = this.pools.table;
    const out = this.reserve(bytes + 1024);
    let size = 0;
    for (let id = 1; size < bytes; id++) {
      size += out.write(`${id}|`, size, 'latin1');
      size += pool[Math.floor(rng() * pool.length)].copy(out, size);
    }
    return out.subarray(0, size);
  }
}

function languageOf(file) {
  return LANGUAGE_OF_EXTENSION[path.extname(file)] || 'config';
}

/** `bytes` of incompressible data, for binary fixtures; xorshift32 fills whole words at a time. */
function binaryBlob(seed, bytes) {
  const words = new Uint32Array(Math.ceil(bytes / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return Buffer.from(words.buffer, 0, bytes);
}

// ---------------------------------------------------------------------------------------------
// The plan: every file of the tree, as a path and a function that makes its content. Planning
// first lets the summary (and the expected inputs of every image) be computed from paths alone.
// ---------------------------------------------------------------------------------------------

class TreePlan {
  constructor(seed, content) {
    this.seed = seed;
    this.content = content;
    /**
     * `make` returns the content; a Buffer may be a view of shared scratch space, so write it
     * before calling the next `make`.
     * @type {{file: string, make: () => (string|Buffer), mode: number}[]}
     */
    this.entries = [];
    this.paths = new Set();
  }

  add(file, make, mode = 0o644) {
    if (this.paths.has(file)) throw new Error(`monorepo generator bug: ${file} planned twice`);
    this.paths.add(file);
    this.entries.push({ file, make, mode });
  }

  /** A file of literal content. */
  literal(file, content, mode) {
    this.add(file, () => content, mode);
  }

  /** A file of pooled lines in the language its extension implies, about `bytes` long. */
  text(file, bytes, mode) {
    this.add(file, () => this.content.text(file, languageOf(file), bytes, rngFor(this.seed, `text:${file}`)), mode);
  }
}

/** Unique names within one directory: a colliding name gets a numeric suffix. */
class NameSet {
  constructor() {
    this.used = new Set();
  }

  claim(name, ext) {
    let candidate = `${name}${ext}`;
    for (let i = 2; this.used.has(candidate); i++) candidate = `${name}_${i}${ext}`;
    this.used.add(candidate);
    return candidate;
  }
}

// ---------------------------------------------------------------------------------------------
// The Cargo workspace. Library crates come in a shared "core" layer that every binary reaches,
// and domains (sql, adapter, storage, …) that binaries pick from. Within a layer each crate
// depends on the previous one and a few random earlier ones, so depending on a layer's top crate
// pulls in the whole layer, and on a middle crate a prefix of it: closure sizes are controlled by
// construction, and the graph is a DAG because dependencies only ever point backwards.
// ---------------------------------------------------------------------------------------------

const CORE_CRATES = [
  'ore', 'ore-proc', 'build-info', 'build-tools', 'proto', 'lowertest', 'lowertest-derive', 'repr',
  'pgrepr-consts', 'pgrepr', 'pgtz', 'pgcopy', 'pgwire-common', 'regexp', 'walkabout', 'avro',
  'avro-derive', 'interchange', 'arrow-util', 'expr', 'expr-parser', 'expr-test-util',
  'repr-test-util', 'dyncfg', 'dyncfg-launchdarkly', 'dyncfgs', 'metrics', 'prof', 'prof-http',
  'alloc', 'alloc-default', 'http-util', 'tls-util', 'ssh-util', 'aws-util', 'kafka-util', 'ccsr',
  'postgres-util', 'mysql-util', 'sql-server-util', 'secrets', 'tracing', 'timely-util',
  'cluster-client', 'service',
];

/** Domains of library crates, bottom crate first; `files` is the mean number of files per crate. */
const DOMAINS = {
  sql: {
    files: 20,
    crates: ['sql-lexer', 'sql-parser', 'sql-pretty', 'sql-types', 'sql-func', 'sql-names', 'sql-plan',
      'sql-hir', 'sql-lowering', 'sql-session', 'sql-vars', 'sql-rbac', 'sql-explain', 'sql-catalog-api', 'sql'],
  },
  adapter: {
    files: 30,
    crates: ['catalog-protos', 'catalog', 'adapter-types', 'audit-log', 'auth', 'pgwire', 'segment',
      'timestamp-oracle', 'frontegg-auth', 'server-core', 'durable-cache', 'adapter'],
  },
  storage: {
    files: 12,
    crates: ['storage-types', 'storage-client', 'rocksdb-types', 'rocksdb', 'storage-operators',
      'source-kafka', 'source-postgres', 'source-mysql', 'source-sql-server', 'source-load-generator',
      'sink-kafka', 'sink-iceberg', 'storage-controller', 'storage-debug-util', 'storage'],
  },
  compute: {
    files: 14,
    crates: ['controller-types', 'compute-types', 'compute-client', 'transform-analysis',
      'transform-normalize', 'transform', 'optimizer', 'compute-logging', 'compute-arrangement',
      'compute-render', 'compute-sink', 'cluster', 'controller', 'compute'],
  },
  persist: {
    files: 12,
    crates: ['persist-types', 'persist-cfg', 'persist-proc', 'persist-blob', 'persist-consensus', 'persist',
      'persist-schema', 'persist-iter', 'persist-client', 'txn-wal'],
  },
  cloud: {
    files: 8,
    crates: ['cloud-resources', 'cloud-api', 'orchestrator', 'orchestrator-process', 'orchestrator-tracing',
      'orchestrator-kubernetes', 'secrets-kubernetes', 'frontegg-client'],
  },
  testing: {
    files: 7,
    crates: ['test-util', 'datagen-util', 'kgen', 'slt-parser', 'td-parser', 'pgtest-lib', 'fuzz-util', 'test-macro'],
  },
  misc: {
    files: 6,
    crates: ['npm', 'license-keys', 'lsp-util', 'aws-secrets-controller', 'http-proxy', 's3-util',
      'ssh-tunnel', 'cli-util'],
  },
};
const CORE_FILES = 6;

/**
 * The binary crates, each with the image that builds it and what it links: whole domains, or a
 * prefix of one (`[domain, n]`). The closures come out at 57–98 crates.
 */
const BINARIES = [
  { bin: 'environmentd', dir: 'environmentd', from: ['prod-base', 'console AS console'],
    links: ['adapter', 'sql', ['storage', 8], 'persist', 'cloud'] },
  { bin: 'clusterd', dir: 'clusterd', from: ['prod-base'], links: ['compute', 'storage', 'persist'] },
  { bin: 'balancerd', dir: 'balancerd', from: ['distroless-prod-base'], links: ['cloud', 'misc'] },
  { bin: 'sqllogictest', dir: 'sqllogictest', from: ['ubuntu-base'], links: ['sql', 'adapter', 'persist', 'testing'] },
  { bin: 'testdrive', dir: 'testdrive', from: ['ubuntu-base', 'test-certs AS certs'], alsoBuilds: ['pgtest'],
    links: ['sql', 'storage', 'persist', 'testing'] },
  { bin: 'pgtest', dir: 'pgtest', from: ['ubuntu-base'], links: ['testing', ['misc', 4]] },
  { bin: 'persistcli', dir: 'persist-cli', from: ['prod-base'], links: ['persist', 'storage'] },
  { bin: 'orchestratord', dir: 'orchestratord', from: ['distroless-prod-base'], links: ['cloud', 'misc'] },
  { bin: 'mz-debug', dir: 'mz-debug', from: ['prod-base'], links: ['cloud', 'testing'] },
  { bin: 'catalog-debug', dir: 'catalog-debug', from: ['prod-base'], links: ['adapter', 'sql', 'persist'] },
  { bin: 'fivetran-destination', dir: 'fivetran-destination', from: ['prod-base'], links: ['sql', 'misc'] },
  { bin: 'frontegg-mock', dir: 'frontegg-mock', from: ['distroless-prod-base'], links: ['cloud', ['adapter', 5]] },
  { bin: 'mz-lsp-server', dir: 'lsp-server', from: ['distroless-prod-base'], links: ['sql'] },
  { bin: 'maelstrom-persist', dir: 'maelstrom-persist', from: ['ubuntu-base'], links: ['persist', 'testing'] },
  { bin: 'mz', dir: 'mz', from: ['ubuntu-base'], links: ['cloud', 'misc', ['compute', 3]] },
];

/** crates.io dependencies, for Cargo.toml and Cargo.lock; extended with synthetic names. */
const EXTERNAL_CRATES = (
  'anyhow async-trait axum aws-config aws-sdk-s3 base64 bincode bytes chrono clap crossbeam-channel ' +
  'differential-dataflow enum-kinds fail futures globset hex http hyper itertools k8s-openapi kube ' +
  'maplit mysql_async num-traits once_cell openssl ordered-float parking_lot paste postgres-protocol ' +
  'prometheus proptest prost prost-build rand rdkafka regex reqwest rocksdb semver serde serde_json ' +
  'sha2 smallvec static_assertions thiserror timely tokio tokio-postgres tokio-stream tokio-util ' +
  'tonic tracing tracing-subscriber url uuid'
).split(' ');

/**
 * One copy of the shape (see `scale`): copy 1 is the tree as at scale 1; copy k > 1 lives under
 * `x<k>/` and suffixes its image, crate and binary names with `-x<k>`.
 */
function copyOf(k) {
  return k === 1 ? { k, prefix: '', suffix: '' } : { k, prefix: `x${k}/`, suffix: `-x${k}` };
}

/** A binary of BINARIES as copy `copy` has it: its names, and the images it builds on, suffixed. */
function binaryIn(copy, binary) {
  return {
    ...binary,
    bin: `${binary.bin}${copy.suffix}`,
    alsoBuilds: (binary.alsoBuilds || []).map((bin) => `${bin}${copy.suffix}`),
    from: binary.from.map((line) => suffixImage(line, copy.suffix)),
  };
}

/** `console AS console` → `console-x2 AS console`: the image name of a MZFROM line, suffixed. */
function suffixImage(line, suffix) {
  const [name, ...rest] = line.split(' ');
  return [`${name}${suffix}`, ...rest].join(' ');
}

/** The images of OTHER_IMAGES as copy `copy` has them. */
function otherImagesIn(copy) {
  return OTHER_IMAGES.map(([parent, name, from]) => [`${copy.prefix}${parent}`, `${name}${copy.suffix}`, from.map((f) => suffixImage(f, copy.suffix)), name]);
}

/** The Cargo workspace of one copy; every copy has the same dependency structure (the same draws). */
function buildWorkspace(seed, copy = copyOf(1)) {
  const rng = rngFor(seed, 'workspace');
  const crates = [];
  const byDir = new Map();
  const addCrate = (crate) => {
    if (byDir.has(crate.dir)) throw new Error(`monorepo generator bug: crate directory ${crate.dir} twice`);
    byDir.set(crate.dir, crate);
    crates.push(crate);
    return crate;
  };
  const library = (dir, files) =>
    addCrate({ dir: `${copy.prefix}src/${dir}`, name: `mz-${dir}${copy.suffix}`, kind: 'lib', deps: [], devDeps: [], files });

  /** Chains a layer: each crate on its predecessor, on random earlier ones, and on `below`. */
  const layer = (names, meanFiles, below) => {
    const layerCrates = [];
    for (const name of names) {
      const crate = library(name, Math.max(3, Math.round(meanFiles * (0.5 + rng()))));
      if (layerCrates.length > 0) {
        crate.deps.push(layerCrates[layerCrates.length - 1]);
        for (const other of sample(rng, layerCrates.slice(0, -1), randInt(rng, 0, 3))) crate.deps.push(other);
      }
      for (const other of sample(rng, below, randInt(rng, 1, 3))) crate.deps.push(other);
      // Dev-dependencies only widen example builds, which no image here has; they are for realism.
      if (below.length > 0 && rng() < 0.3) crate.devDeps.push(pick(rng, below));
      layerCrates.push(crate);
    }
    return layerCrates;
  };

  const core = layer(CORE_CRATES, CORE_FILES, []);
  const domains = {};
  for (const [domain, { crates: names, files }] of Object.entries(DOMAINS)) domains[domain] = layer(names, files, core);

  for (const original of BINARIES) {
    const binary = binaryIn(copy, original);
    const crate = addCrate({
      dir: `${copy.prefix}src/${binary.dir}`, name: binary.bin, kind: 'bin', deps: [core[core.length - 1]], devDeps: [],
      files: randInt(rng, 3, 6), binary,
    });
    for (const link of binary.links) {
      const [domain, prefix] = Array.isArray(link) ? link : [link, DOMAINS[link].crates.length];
      crate.deps.push(domains[domain][prefix - 1]);
    }
  }

  for (const crate of crates) {
    crate.deps = [...new Set(crate.deps)].sort((a, b) => (a.name < b.name ? -1 : 1));
    crate.externals = sample(rng, EXTERNAL_CRATES, randInt(rng, 3, 10));
  }
  return { crates, byName: new Map(crates.map((c) => [c.name, c])) };
}

/** The crate and everything it reaches through `[dependencies]`, as mzbuild follows them. */
function crateClosure(crate) {
  const seen = new Set();
  const visit = (c) => {
    if (seen.has(c)) return;
    seen.add(c);
    for (const dep of c.deps) visit(dep);
  };
  visit(crate);
  return seen;
}

// Module names for the `.rs` files of a crate.
const MODULES = (
  'catalog coord sequencer session plan optimize explain render decode encode source sink upsert ' +
  'persist frontier compaction lease reader writer batch consensus blob metrics config client server ' +
  'protocol codec types error util builtin func scalar relation statement ddl dml query peek ' +
  'subscribe copy webhook introspection telemetry tracing retry backoff'
).split(' ');

/** A crate's files: Cargo.toml, lib.rs or main.rs, and modules, tests, benches to its file count. */
function planCrate(plan, crate, seed) {
  const rng = rngFor(seed, `crate:${crate.dir}`);
  plan.literal(`${crate.dir}/Cargo.toml`, crateManifest(crate));
  if (crate.kind === 'bin') {
    plan.text(`${crate.dir}/src/main.rs`, logUniform(rng, 4 * KB, 24 * KB));
  } else {
    plan.text(`${crate.dir}/src/lib.rs`, logUniform(rng, 1 * KB, 8 * KB));
  }
  const names = new Map();
  const nameSetFor = (dir) => {
    if (!names.has(dir)) names.set(dir, new NameSet());
    return names.get(dir);
  };
  if (crate.kind === 'lib' && rng() < 0.25) plan.text(`${crate.dir}/build.rs`, logUniform(rng, 1 * KB, 4 * KB));
  const planned = plan.paths.size;
  while (plan.paths.size - planned < crate.files - 2) {
    const roll = rng();
    let dir;
    if (roll < 0.45) dir = `${crate.dir}/src`;
    else if (roll < 0.85) dir = `${crate.dir}/src/${pick(rng, MODULES)}`;
    else if (roll < 0.95) dir = `${crate.dir}/tests`;
    else dir = `${crate.dir}/benches`;
    const file = `${dir}/${nameSetFor(dir).claim(pick(rng, MODULES), '.rs')}`;
    // Some modules are big (generated code, large match tables): that is where hashing time goes.
    const bytes = rng() < 0.05 ? logUniform(rng, 80 * KB, 250 * KB) : logUniform(rng, 2 * KB, 64 * KB);
    plan.text(file, bytes);
  }
}

function crateManifest(crate) {
  const lines = [
    '[package]',
    `name = "${crate.name}"`,
    `description = "The ${crate.name} crate."`,
    'version = "0.0.0"',
    'edition.workspace = true',
    'rust-version.workspace = true',
    'publish = false',
    '',
    '[lints]',
    'workspace = true',
    '',
    '[dependencies]',
  ];
  const deps = [
    ...crate.externals.map((name) => [name, `"${externalVersion(name)}"`]),
    ...crate.deps.map((dep) => [dep.name, `{ path = "${relativeCrateDir(crate, dep)}" }`]),
  ].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  for (const [name, spec] of deps) lines.push(`${name} = ${spec}`);
  if (crate.devDeps.length > 0) {
    lines.push('', '[dev-dependencies]');
    for (const dep of crate.devDeps) lines.push(`${dep.name} = { path = "${relativeCrateDir(crate, dep)}" }`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Every crate is `src/<dir>`, so path dependencies are all `../<dir>`. */
function relativeCrateDir(from, to) {
  return path.posix.relative(from.dir, to.dir);
}

function externalVersion(name) {
  const rng = rngFor(0, `version:${name}`);
  return `${randInt(rng, 0, 2)}.${randInt(rng, 1, 40)}.${randInt(rng, 0, 20)}`;
}

function rootCargoToml(crates) {
  const members = [...crates].map((c) => c.dir).sort();
  return [
    '[workspace]',
    'members = [',
    ...members.map((dir) => `    "${dir}",`),
    ']',
    '# Only check the packages that are part of the default build.',
    'default-members = [',
    ...members.filter((dir) => !dir.includes('test')).map((dir) => `    "${dir}",`),
    ']',
    'resolver = "2"',
    '',
    '[workspace.package]',
    'edition = "2024"',
    'rust-version = "1.89.0"',
    '',
    '[workspace.lints.rust]',
    'unknown_lints = "allow"',
    '',
    '[profile.dev]',
    'split-debuginfo = "unpacked"',
    '',
    '[profile.release]',
    'debug = 2',
    '',
    '[profile.optimized]',
    'inherits = "release"',
    'lto = "off"',
    '',
  ].join('\n');
}

/** A Cargo.lock in Cargo's format: the workspace crates and a few hundred registry packages. */
function cargoLock(crates, seed) {
  const rng = rngFor(seed, 'Cargo.lock');
  const packages = [];
  for (const crate of crates) {
    packages.push({ name: crate.name, version: '0.0.0', deps: [...crate.externals, ...crate.deps.map((d) => d.name)] });
  }
  const externals = [...EXTERNAL_CRATES];
  // Materialize locks about 900 packages; the names beyond the real ones are synthetic.
  for (let i = 0; externals.length < 700; i++) externals.push(`${pick(rng, IDENTS)}-${pick(rng, MODULES)}-${i}`);
  for (const name of externals) {
    const checksum = Array.from({ length: 8 }, () => Math.floor(rng() * 2 ** 32).toString(16).padStart(8, '0')).join('');
    packages.push({
      name, version: externalVersion(name), checksum,
      deps: sample(rng, externals, randInt(rng, 0, 6)).filter((d) => d !== name),
    });
  }
  packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines = ['# This file is automatically @generated by Cargo.', '# It is not intended for manual editing.', 'version = 4', ''];
  for (const p of packages) {
    lines.push('[[package]]', `name = "${p.name}"`, `version = "${p.version}"`);
    if (p.checksum) lines.push('source = "registry+https://github.com/rust-lang/crates.io-index"', `checksum = "${p.checksum}"`);
    if (p.deps.length > 0) lines.push('dependencies = [', ...[...new Set(p.deps)].sort().map((d) => ` "${d}",`), ']');
    lines.push('');
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Images.
// ---------------------------------------------------------------------------------------------

/**
 * The non-Rust images: [directory, name, MZFROM lines]. An empty MZFROM list means a leaf image,
 * built `FROM scratch`. Rust images come from BINARIES and live in `src/<crate>/ci`.
 */
const OTHER_IMAGES = [
  ['misc/images', 'ubuntu-base', []],
  ['misc/images', 'prod-base', ['ubuntu-base']],
  ['misc/images', 'distroless-prod-base', []],
  ['misc/images', 'console', []],
  ['misc/images', 'postgres', ['ubuntu-base']],
  ['misc/images', 'mysql', []],
  ['misc/images', 'sql-server', []],
  ['misc/images', 'kafka', ['ubuntu-base']],
  ['misc/images', 'zookeeper', ['ubuntu-base']],
  ['misc/images', 'schema-registry', ['kafka']],
  ['misc/images', 'debezium', ['kafka']],
  ['misc/images', 'minio', []],
  ['misc/images', 'azurite', []],
  ['misc/images', 'ssh-bastion-host', ['ubuntu-base']],
  ['misc/images', 'toxiproxy', []],
  ['misc/images', 'grafana', []],
  ['misc/images', 'prometheus', []],
  ['test', 'test-certs', ['ubuntu-base']],
  ['test', 'metabase', []],
  ['test', 'dbt-materialize', ['ubuntu-base']],
  ['test', 'mysql-client', ['ubuntu-base']],
  ['test', 'psql', ['ubuntu-base']],
  ['test', 'sqlsmith', ['ubuntu-base']],
  ['test', 'sqlancer', ['ubuntu-base']],
  ['test', 'kcat', ['ubuntu-base']],
  ['test', 'cockroach', []],
  ['test', 'localstack', []],
  ['test', 'jaeger', []],
  ['test', 'pgbench', ['postgres']],
  ['test', 'ssh-client', ['test-certs']],
];

const LICENSE_HEADER = [
  '# Copyright Materialize, Inc. and contributors. All rights reserved.',
  '#',
  '# Use of this software is governed by the Business Source License',
  '# included in the LICENSE file at the root of this repository.',
  '',
];

function dockerfile(name, from, body) {
  const lines = [...LICENSE_HEADER];
  // MZFROM must start at column 0 for mzbuild to see it; a leaf image starts from scratch.
  if (from.length === 0) lines.push('FROM scratch');
  for (const line of from) lines.push(`MZFROM ${line}`);
  lines.push('', ...body, '', `LABEL org.opencontainers.image.title="${name}"`, '');
  return lines.join('\n');
}

function planRustImage(plan, crate) {
  const { binary } = crate;
  const dir = `${crate.dir}/ci`;
  const bins = [binary.bin, ...(binary.alsoBuilds || [])];
  plan.literal(`${dir}/mzbuild.yml`, [
    ...LICENSE_HEADER,
    `name: ${binary.bin}`,
    'pre-image:',
    '  - type: cargo-build',
    `    bin: [${bins.join(', ')}]`,
    '',
  ].join('\n'));
  plan.literal(`${dir}/Dockerfile`, dockerfile(binary.bin, binary.from, [
    ...bins.map((bin) => `COPY ${bin} /usr/local/bin/`),
    'COPY entrypoint.sh /usr/local/bin/',
    'USER materialize',
    `ENTRYPOINT ["tini", "--", "entrypoint.sh"]`,
  ]));
  plan.text(`${dir}/entrypoint.sh`, 1200, 0o755);
  plan.text(`${dir}/README.md`, 900);
}

function planOtherImage(plan, [parent, name, from, baseName], seed) {
  const rng = rngFor(seed, `image:${name}`);
  const dir = `${parent}/${name}`;
  const manifest = [...LICENSE_HEADER, `name: ${name}`, `description: The ${name} image for Materialize's tests.`];
  if (parent === 'test') manifest.push('publish: false');
  plan.literal(`${dir}/mzbuild.yml`, manifest.join('\n') + '\n');
  plan.literal(`${dir}/Dockerfile`, dockerfile(name, from, [
    'RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl',
    `COPY . /opt/${name}/`,
    `ENTRYPOINT ["/opt/${name}/entrypoint.sh"]`,
  ]));
  plan.text(`${dir}/README.md`, randInt(rng, 500, 3000));
  plan.text(`${dir}/entrypoint.sh`, randInt(rng, 300, 2000), 0o755);
  for (const extra of sample(rng, [`${name}.conf`, 'config.yaml', 'healthcheck.sh', 'requirements.txt'], randInt(rng, 0, 2))) {
    plan.text(`${dir}/${extra}`, randInt(rng, 200, 4000), extra.endsWith('.sh') ? 0o755 : 0o644);
  }
  if (baseName === 'console') planConsole(plan, dir, seed);
}

const CONSOLE_AREAS = (
  'clusters sources sinks connections secrets indexes views tables schemas databases roles ' +
  'billing regions settings onboarding query-history workflow-graph shell environment-overview ' +
  'notices integrations auth freshness'
).split(' ');
const CONSOLE_KINDS = (
  'List Detail Form Table Row Card Modal Menu Header Badge Chart Graph Empty Error Loading Filter ' +
  'Search Tabs Panel Status Actions Wizard'
).split(' ');

const CONSOLE_FILES = 1200;

/** The web console: ~1,200 small TypeScript/TSX files and assets, in one image directory. */
function planConsole(plan, dir, seed) {
  const rng = rngFor(seed, 'console');
  for (const [file, bytes] of [['package.json', 3500], ['tsconfig.json', 900], ['vite.config.ts', 2200],
    ['index.html', 1200], ['nginx.conf', 1800], ['.eslintrc.json', 2400], ['.prettierrc.json', 120]]) {
    plan.text(`${dir}/${file}`, bytes);
  }
  const names = new Map();
  for (let count = countUnder(plan, dir); count < CONSOLE_FILES; count++) {
    const roll = rng();
    const area = pick(rng, CONSOLE_AREAS);
    let sub;
    let ext;
    if (roll < 0.5) [sub, ext] = [`src/platform/${area}`, pick(rng, ['.tsx', '.tsx', '.ts', '.test.tsx'])];
    else if (roll < 0.7) [sub, ext] = [`src/api/${area}`, pick(rng, ['.ts', '.ts', '.test.ts'])];
    else if (roll < 0.85) [sub, ext] = [`src/components/${pick(rng, CONSOLE_KINDS)}`, pick(rng, ['.tsx', '.css'])];
    else if (roll < 0.95) [sub, ext] = ['src/hooks', '.ts'];
    else [sub, ext] = ['public/icons', '.svg'];
    if (!names.has(sub)) names.set(sub, new NameSet());
    const base = `${pick(rng, CONSOLE_KINDS)}${pick(rng, TYPES)}`;
    plan.text(`${dir}/${sub}/${names.get(sub).claim(base, ext)}`, logUniform(rng, 800, 12 * KB));
  }
}

/** Files planned so far under `dir`. */
function countUnder(plan, dir) {
  return plan.entries.filter((e) => e.file.startsWith(`${dir}/`)).length;
}

// ---------------------------------------------------------------------------------------------
// Everything else: shared Cargo inputs, and the files no image hashes (docs, test data, Python
// tooling, CI config, big fixtures) that make up the bulk of a real checkout.
// ---------------------------------------------------------------------------------------------

const CI_BUILDER_FILES = [
  'Dockerfile', 'README.md', 'build.sh', 'entrypoint.sh', 'ccache.conf', 'stable.stamp', 'nightly.stamp',
  'requirements.txt', 'requirements-core.txt', 'pyproject.toml', 'clang-tidy.yaml', 'ssh_known_hosts',
  'x86_64-unknown-linux-gnu.toml', 'aarch64-unknown-linux-gnu.toml', 'crosstool-x86_64.defconfig',
  'crosstool-aarch64.defconfig', 'rust-toolchain.toml',
];

/** [directory, count, extensions, min bytes, max bytes, subdirectories]: bulk non-input files. */
const BULK = [
  ['doc/user/content', 1450, ['.md'], 1 * KB, 20 * KB, CONSOLE_AREAS.concat(['sql', 'ingest-data', 'serve-results', 'transform-data', 'manage', 'releases'])],
  ['doc/user/static/images', 120, ['.svg'], 1 * KB, 12 * KB, ['']],
  ['doc/developer', 380, ['.md'], 2 * KB, 24 * KB, ['', 'design', 'reference', 'platform']],
  ['test/sqllogictest', 1600, ['.slt'], 1 * KB, 40 * KB, ['', 'cockroach', 'postgres', 'sqlite', 'transform', 'explain', 'cluster']],
  ['test/testdrive', 820, ['.td'], 512, 12 * KB, ['', 'kafka', 'pg-cdc', 'mysql-cdc', 'webhook']],
  ['test', 320, ['.py', '.td'], 1 * KB, 10 * KB, ['cloudtest', 'restart', 'upgrade', 'platform-checks', 'zippy', 'parallel-workload', 'feature-benchmark', 'scalability', 'limits', 'canary']],
  ['misc/python/materialize', 760, ['.py'], 1 * KB, 30 * KB, ['', 'mzcompose', 'mzbuild', 'checks', 'zippy', 'parallel_workload', 'cli', 'output_consistency', 'feature_benchmark', 'buildkite']],
  ['misc/dbt-materialize', 150, ['.py', '.sql', '.yml'], 512, 8 * KB, ['', 'macros', 'tests', 'adapters']],
  ['misc/helm-charts', 60, ['.yaml'], 512, 6 * KB, ['', 'operator', 'operator/templates']],
  ['ci', 80, ['.py', '.yml', '.sh'], 512, 10 * KB, ['', 'test', 'nightly', 'release-qualification', 'plugins']],
  ['bin', 40, ['.sh', ''], 256, 3 * KB, ['']],
  ['.github', 24, ['.yml'], 512, 4 * KB, ['workflows', 'ISSUE_TEMPLATE']],
];

/** The handful of large files: test data and fixtures, several MB each; nothing hashes them. */
const LARGE_FILES = [
  ['test/testdrive/data/tpch/lineitem.tbl', 12 * MB, 'table'],
  ['test/testdrive/data/tpch/orders.tbl', 9 * MB, 'table'],
  ['test/testdrive/data/tpch/partsupp.tbl', 6 * MB, 'table'],
  ['test/kafka-ingest/data/events.avro', 9 * MB, 'binary'],
  ['test/persist/fixtures/blob-snapshot.bin', 7 * MB, 'binary'],
  ['doc/user/static/videos/console-tour.mp4', 5 * MB, 'binary'],
];

function planSharedCargoFiles(plan, crates, seed) {
  plan.literal('Cargo.toml', rootCargoToml(crates));
  plan.add('Cargo.lock', () => cargoLock(crates, seed));
  for (const file of CI_BUILDER_FILES) {
    plan.text(`ci/builder/${file}`, randInt(rngFor(seed, file), 100, 6000), file.endsWith('.sh') ? 0o755 : 0o644);
  }
}

function planRootFiles(plan) {
  plan.literal('.gitignore', '# Cargo builds here.\ntarget/\n');
  plan.literal('.cargo/config.toml', '[build]\nrustflags = ["--cfg=tokio_unstable"]\n');
  plan.literal('rustfmt.toml', 'edition = "2024"\n');
  plan.literal('clippy.toml', 'too-many-arguments-threshold = 12\n');
  plan.text('README.md', 6 * KB);
  plan.text('LICENSE', 5 * KB);
  plan.text('deny.toml', 4 * KB);
  plan.text('pyproject.toml', 3 * KB);
}

/** The bulk files of one copy; the large files are copy 1's alone. */
function planBulk(plan, seed, copy = copyOf(1)) {
  for (const [bulkDir, count, exts, lo, hi, subdirs] of BULK) {
    const dir = `${copy.prefix}${bulkDir}`;
    const rng = rngFor(seed, `bulk:${dir}`);
    const names = new Map();
    for (let i = 0; i < count; i++) {
      const sub = pick(rng, subdirs);
      const parent = sub === '' ? dir : `${dir}/${sub}`;
      if (!names.has(parent)) names.set(parent, new NameSet());
      const file = `${parent}/${names.get(parent).claim(`${pick(rng, MODULES)}-${pick(rng, IDENTS)}`, pick(rng, exts))}`;
      plan.text(file, logUniform(rng, lo, hi), file.endsWith('.sh') || !path.extname(file) ? 0o755 : 0o644);
    }
  }
  if (copy.k !== 1) return;
  for (const [file, bytes, kind] of LARGE_FILES) {
    const key = `large:${file}`;
    plan.add(file, () => (kind === 'table' ? plan.content.table(bytes, rngFor(seed, key)) : binaryBlob(fnv1a(key) ^ seed, bytes)));
  }
}

/** Plans the whole tree, and the image/crate model that the summary is computed from. */
function planMonorepo(options) {
  const { seed, scale } = options;
  const plan = new TreePlan(seed, new ContentMaker(seed));
  const copies = Array.from({ length: scale }, (_, i) => copyOf(i + 1));
  const workspaces = copies.map((copy) => buildWorkspace(seed, copy));
  const crates = workspaces.flatMap((w) => w.crates);
  const workspace = { crates, byName: new Map(crates.map((c) => [c.name, c])) };
  planRootFiles(plan);
  planSharedCargoFiles(plan, crates, seed);
  const images = [];
  const mzfroms = [];
  copies.forEach((copy, i) => {
    for (const crate of workspaces[i].crates) {
      planCrate(plan, crate, seed);
      if (crate.kind === 'bin') {
        planRustImage(plan, crate);
        const bins = [crate.binary.bin, ...crate.binary.alsoBuilds];
        images.push({ name: crate.binary.bin, dir: `${crate.dir}/ci`, crates: bins.map((b) => workspace.byName.get(b)) });
        mzfroms.push([crate.binary.bin, crate.binary.from]);
      }
    }
    for (const image of otherImagesIn(copy)) {
      planOtherImage(plan, image, seed);
      images.push({ name: image[1], dir: `${image[0]}/${image[1]}`, crates: [] });
      mzfroms.push([image[1], image[2]]);
    }
    planBulk(plan, seed, copy);
  });
  checkImageGraph(images, mzfroms);
  return { plan, workspace, images, scale };
}

/** Image names unique and well-formed, MZFROM naming images that exist: mzimage refuses the tree otherwise. */
function checkImageGraph(images, mzfroms) {
  const names = new Set();
  for (const { name } of images) {
    if (!/^[A-Za-z0-9-]+$/.test(name) || names.has(name)) throw new Error(`monorepo generator bug: image name ${name}`);
    names.add(name);
  }
  for (const [name, from] of mzfroms) {
    for (const dep of from) if (!names.has(dep.split(' ')[0])) throw new Error(`monorepo generator bug: ${name} MZFROM ${dep}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The shape: what mzbuild will take as each image's inputs, computed from the planned paths with
// the same rules (image directory; for Rust images, the crates of the closure, ci/builder,
// Cargo.toml and Cargo.lock). The benchmark compares it with what mzimage describes.
// ---------------------------------------------------------------------------------------------

/** Groups paths by the nearest ancestor directory that is in `dirs`. */
function partitionByDir(files, dirs) {
  const groups = new Map([...dirs].map((d) => [d, []]));
  for (const file of files) {
    for (let slash = file.lastIndexOf('/'); slash > 0; slash = file.lastIndexOf('/', slash - 1)) {
      const group = groups.get(file.slice(0, slash));
      if (group) {
        group.push(file);
        break;
      }
    }
  }
  return groups;
}

function expectedInputs({ plan, workspace, images }) {
  const files = [...plan.paths];
  const contexts = partitionByDir(files, images.map((i) => i.dir));
  const crateFiles = partitionByDir(files, workspace.crates.map((c) => c.dir));
  // The correct fingerprint mode's shared Cargo files (the default mode; docs/fingerprint.md §8).
  const shared = [...files.filter((f) => f.startsWith('ci/builder/')), 'Cargo.toml', 'Cargo.lock', '.cargo/config.toml'];
  const perImage = new Map();
  const closureSizes = [];
  for (const image of images) {
    const inputs = new Set(contexts.get(image.dir));
    if (image.crates.length > 0) {
      const closure = new Set();
      for (const crate of image.crates) for (const c of crateClosure(crate)) closure.add(c);
      closureSizes.push(closure.size);
      for (const f of shared) inputs.add(f);
      for (const c of closure) for (const f of crateFiles.get(c.dir)) inputs.add(f);
    }
    perImage.set(image.name, inputs);
  }
  return { perImage, closureSizes };
}

function summarize(model, sizes) {
  const { perImage, closureSizes } = expectedInputs(model);
  const distinct = new Set();
  let references = 0;
  let largest = { name: '', inputs: 0 };
  for (const [name, inputs] of perImage) {
    references += inputs.size;
    for (const f of inputs) distinct.add(f);
    if (inputs.size > largest.inputs) largest = { name, inputs: inputs.size };
  }
  let bytes = 0;
  for (const size of sizes.values()) bytes += size;
  let inputBytes = 0;
  for (const f of distinct) inputBytes += sizes.get(f);
  const rustInputs = [...perImage].filter(([name]) => model.images.find((i) => i.name === name).crates.length > 0);
  return {
    generatorVersion: GENERATOR_VERSION,
    images: model.images.length,
    rustImages: closureSizes.length,
    crates: model.workspace.crates.length,
    files: sizes.size,
    bytes,
    inputFiles: distinct.size,
    inputReferences: references,
    inputBytes,
    largestImage: largest,
    closureCrates: { min: Math.min(...closureSizes), max: Math.max(...closureSizes) },
    rustImageInputs: {
      min: Math.min(...rustInputs.map(([, s]) => s.size)),
      max: Math.max(...rustInputs.map(([, s]) => s.size)),
    },
    consoleFiles: perImage.get('console').size,
    scale: model.scale,
    imageNames: model.images.map((i) => i.name).sort(),
  };
}

// ---------------------------------------------------------------------------------------------
// Writing and committing.
// ---------------------------------------------------------------------------------------------

function resolveOptions(options = {}) {
  const resolved = { ...DEFAULT_OPTIONS, ...options };
  if (!Number.isInteger(resolved.seed)) throw new TypeError(`monorepo: seed must be an integer, not ${resolved.seed}`);
  if (!Number.isInteger(resolved.scale) || resolved.scale < 1) throw new TypeError(`monorepo: scale must be a whole number, at least 1, not ${resolved.scale}`);
  resolved.seed >>>= 0;
  return resolved;
}

function ensureEmptyDir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const entries = fs.readdirSync(dir);
  if (entries.length > 0) throw new Error(`monorepo: ${dir} is not empty (it holds ${entries.slice(0, 3).join(', ')}…)`);
}

/**
 * Writes the tree (no git) into the empty directory `dir` and returns its summary. Directories
 * are created once each; files are written synchronously, which on a local disk beats juggling
 * thousands of pending promises.
 */
function writeTree(dir, options) {
  const resolved = resolveOptions(options);
  ensureEmptyDir(dir);
  const model = planMonorepo(resolved);
  const made = new Set();
  const sizes = new Map();
  for (const { file, make, mode } of model.plan.entries) {
    const parent = path.posix.dirname(file);
    if (!made.has(parent)) {
      fs.mkdirSync(path.join(dir, parent), { recursive: true });
      made.add(parent);
    }
    const content = make();
    fs.writeFileSync(path.join(dir, file), content, { mode });
    sizes.set(file, typeof content === 'string' ? Buffer.byteLength(content) : content.length);
  }
  return summarize(model, sizes);
}

/**
 * Makes `dir` a git repository with everything committed. Git runs without the user's global and
 * system configuration (no hooks, signing or autocrlf to change what is committed), with fixed
 * dates so that the same tree gives the same commit, and never collects garbage on its own.
 */
function commitAll(dir, message = 'Synthetic Materialize-shaped monorepo') {
  const env = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
    GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
  };
  const git = (...args) => execFileSync('git', args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (!fs.existsSync(path.join(dir, '.git'))) git('init', '-q');
  git('config', 'user.name', 'mzbench');
  git('config', 'user.email', 'mzbench@example.com');
  git('config', 'commit.gpgsign', 'false');
  // 9,000 new loose objects exceed gc.auto's threshold: the commit would start a background
  // `git gc` that packs 130 MB while the benchmark runs, and skews its timings.
  git('config', 'gc.auto', '0');
  git('config', 'maintenance.auto', 'false');
  // Storing the 9,000 new objects uncompressed halves the time `git add` takes (zlib on 130 MB),
  // for a repository that lives as long as a benchmark; nothing here reads objects back.
  git('-c', 'core.looseCompression=0', 'add', '-A');
  git('commit', '-q', '--no-verify', '-m', message);
}

/** Generates, commits, and records a marker (in .git/) so that callers can reuse the tree. */
function generateMonorepo(dir, options) {
  const resolved = resolveOptions(options);
  const summary = writeTree(dir, resolved);
  commitAll(dir);
  fs.writeFileSync(path.join(dir, MARKER), JSON.stringify({ version: GENERATOR_VERSION, options: resolved, summary }, null, 2) + '\n');
  return summary;
}

/**
 * The summary of a tree this generator made in `dir` with these options, or undefined when `dir`
 * holds no such tree (absent, foreign, an older generator version or other options).
 */
function existingMonorepo(dir, options) {
  const resolved = resolveOptions(options);
  let marker;
  try {
    marker = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
  } catch {
    return undefined;
  }
  // Trees made before there was a scale are scale 1.
  const sameOptions = JSON.stringify({ ...DEFAULT_OPTIONS, ...marker.options }) === JSON.stringify(resolved);
  return marker.version === GENERATOR_VERSION && sameOptions ? marker.summary : undefined;
}

/** Whether `dir` holds a tree made by some version of this generator (so it may be replaced). */
function isGeneratedMonorepo(dir) {
  return fs.existsSync(path.join(dir, MARKER));
}

function formatShape(summary) {
  const mb = (bytes) => (bytes / MB).toFixed(1);
  return [
    `scale:             ${summary.scale ?? 1}× Materialize's shape`,
    `images:            ${summary.images} (${summary.rustImages} Rust)`,
    `crates:            ${summary.crates} (Rust closures of ${summary.closureCrates.min}–${summary.closureCrates.max} crates)`,
    `files:             ${summary.files} (${mb(summary.bytes)} MB)`,
    `inputs:            ${summary.inputFiles} distinct files (${mb(summary.inputBytes)} MB), ${summary.inputReferences} (image, file) references`,
    `Rust image inputs: ${summary.rustImageInputs.min}–${summary.rustImageInputs.max} files; largest image ${summary.largestImage.name} with ${summary.largestImage.inputs}`,
    `console:           ${summary.consoleFiles} files`,
  ].join('\n');
}

/** `--scale 1,4,16`: the scales to benchmark, in the order given. */
function parseScales(text) {
  const scales = String(text).split(',').map((part) => part.trim());
  if (scales.length === 0 || !scales.every((scale) => /^[1-9]\d*$/.test(scale))) {
    throw new Error(`--scale ${text}: give whole numbers, at least 1, separated by commas (e.g. 1,4,16)`);
  }
  return [...new Set(scales.map(Number))];
}

/** Where `--keep DIR` keeps the tree of a scale: DIR itself at scale 1, `DIR-<scale>x` beside it otherwise. */
function keepDirFor(keep, scale) {
  return keep === undefined || scale === 1 ? keep : `${keep}-${scale}x`;
}

module.exports = {
  GENERATOR_VERSION,
  parseScales,
  keepDirFor,
  DEFAULT_OPTIONS,
  generateMonorepo,
  writeTree,
  commitAll,
  existingMonorepo,
  isGeneratedMonorepo,
  formatShape,
};

if (require.main === module) {
  const [dir, scale = '1'] = process.argv.slice(2);
  if (!dir || !/^[1-9]\d*$/.test(scale)) {
    process.stderr.write('usage: node tools/bench/monorepo.js DIR [SCALE]\n');
    process.exit(2);
  }
  const started = process.hrtime.bigint();
  const summary = generateMonorepo(path.resolve(dir), { scale: Number(scale) });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${formatShape(summary)}\ngenerated in ${seconds.toFixed(1)} s\n`);
}
