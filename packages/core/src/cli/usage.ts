/** mzimage's usage text, as `mzimage --help` prints it. */
import { SANITIZERS } from '../config';

export const USAGE = `usage: mzimage [options] COMMAND [IMAGE…]

Content-addressed Docker images, fingerprint-compatible with Materialize's mzbuild.
Works from any directory of a git repository that holds mzbuild.yml files.

commands:
  list [--check]               every image, in repository order; --check: every warning about the
                               manifests, each time, and exit 1 if there is one
  fingerprint IMAGE…|--all     the fingerprint (NAME<TAB>FINGERPRINT for several images)
  spec IMAGE…|--all            the full image reference, <registry>/<prefix><name>:mzbuild-<fingerprint>
  describe IMAGE [--transitive] fingerprint, input files and dependencies
  explain IMAGE…|--all [--since REV | --against REFERENCE|TAG]
                               why each image is not reused: its fingerprint now and at REV
                               (default: the merge base with origin/HEAD) or in a published image
                               (its inputs record), the inputs that changed, were added or removed,
                               changed modes, the configuration, and each changed dependency
  plan IMAGE…|--all            for each image and its dependencies: local, registry, build or untrusted;
                               --json --shards N: a GitHub Actions matrix include list of the shards
                               with something to build ([{"shard":"1/3","images":[…]}…], one line)
  acquire IMAGE…|--all         make them available to the local engine: pull or build
  run IMAGE [ARGS…]            acquire IMAGE, then docker run --rm --init it with ARGS
  ensure IMAGE…|--all          publish them (and what they build on) under their fingerprint tags:
                               build and push what no registry has, copy what only some have
  publish-multiarch TAG IMAGE…|--all
                               put under TAG an index of each image's published x86_64 and aarch64
                               images; version tags (v1.2.3…) never move without --force
  cache-server [--listen 127.0.0.1:PORT]
                               serve Nx's self-hosted remote cache API (/v1/cache/{hash}) from the
                               registry; prints its URL first (port 0, the default: any free port).
                               Bearer token: MZBUILD_CACHE_TOKEN. Entries signed with
                               MZBUILD_SIGNING_KEY; with trusted keys only signed ones are served
  keygen [--output PREFIX]     write a cosign key pair, PREFIX.key and PREFIX.pub (default cosign),
                               encrypted with MZBUILD_SIGNING_KEY_PASSWORD (or a password asked for)

options:
  --dev | --optimized | --release   build profile (default: optimized; release when CI_LTO is set)
  --arch x86_64|aarch64             architecture (default: the host's)
  --coverage                        build with coverage (default: CI_COVERAGE_ENABLED)
  --sanitizer NAME                  ${SANITIZERS.join('|')} (default: CI_SANITIZER, else none)
  --compat correct|mzbuild          which inputs fingerprints read (default: MZBUILD_COMPAT, nx.json,
                                    else correct); mzbuild: mzbuild's own fingerprints, omissions and all
  --image-registry REGISTRY         e.g. ghcr.io/acme/monorepo (default: MZBUILD_REGISTRY, nx.json,
                                    then the GHCR repository of a GitHub origin remote)
  --image-prefix PREFIX             put before every image name
  --mirror REGISTRY                 a further registry to publish to (repeatable; default MZBUILD_MIRRORS)
  --trusted-key FILE                a public key (cosign.pub) that registry images must be signed by to
                                    be used or counted as published (repeatable; default
                                    MZBUILD_TRUSTED_KEYS, then nx.json's trustedKeys). Publishing signs
                                    with MZBUILD_SIGNING_KEY (a path or the PEM text) when it is set
  --sccache | --no-sccache          run cargo through sccache (RUSTC_WRAPPER=sccache), or not (default:
                                    MZBUILD_SCCACHE, nx.json, else auto: when sccache is on PATH or
                                    RUSTC_WRAPPER is set)
  --builder NAME                    the docker buildx builder to build with (default MZBUILD_BUILDER,
                                    nx.json); one that cannot load into an engine (the remote driver)
                                    pushes each image to the registry as it builds it
  --replace-untrusted               build and push over fingerprint tags no trusted key signed (ensure)
  --cache-registry REGISTRY         where an untrusted job (a pull request's) pushes, never to the
                                    registry or mirrors; images the registry lacks are looked for there
                                    too (default: MZBUILD_CACHE_REGISTRY, then nx.json's cacheRegistry)
  --cache-repository REPO           where cache-server keeps entries (default MZBUILD_CACHE_REPOSITORY,
                                    then <registry>/<prefix>nx-cache)
  --cache-read-from REPO            a further repository cache-server reads entries from, never writes
                                    (repeatable): a pull request's scope reading main's
  --max-artifact-size SIZE          the largest archive cache-server stores or serves (default 2GiB)
  --until-stdin-closes              cache-server stops when its standard input closes
  --output PREFIX                   where keygen writes PREFIX.key and PREFIX.pub
  --shard I/N                       build shard I's share of the images to build (acquire, ensure;
                                    default MZBUILD_SHARD); another shard's image that one of ours
                                    builds on is waited for in the registry, then built here
  --shard-wait DURATION             how long to wait for another shard's image, e.g. 30m, 90s
                                    (default MZBUILD_SHARD_WAIT, else 30m)
  --shards N                        plan: the shares of N shards, as a CI matrix (with --json)
  --rev REV                         read the tree of commit REV from git objects, not the working tree
                                    (list, fingerprint, spec, describe): what a clean checkout gives
  --since REV | --against REF|TAG   explain: compare with the tree at REV, or with a published image
                                    (a reference, or a tag of each image's repository) by its record
  --all                             every image (fingerprint, spec)
  --transitive                      include the inputs of dependencies (describe)
  --no-pull                         only check that registry images exist (acquire)
  --force                           move a version tag that exists (publish-multiarch)
  --dry-run                         check and print what would be written, write nothing (ensure,
                                    publish-multiarch)
  --json                            machine-readable output
  -h, --help                        this text
  -V, --version                     the version of mzimage
`;
