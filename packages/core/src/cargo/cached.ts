/** The Cargo models (both modes') from the model cache while the disk answers every question they were built from as before. */
import type { FileStats } from '../file-stats';
import { statKey } from '../file-stats';
import type { CargoProbe, ModelCache } from '../model-cache';
import { timings } from '../timings';
import { diskCargoFiles, type CargoFiles, type CargoModels } from './workspace';

/**
 * The Cargo workspace of `root`, as both modes read it. The model is built from what reading it asked of the disk: the
 * TOML files' contents, directory listings (src/bin, examples, exclude globs) and whether paths
 * exist. Each answer is recorded; the remembered model is used only while every file read has
 * the same lstat key and every other question gets the same answer. Otherwise the TOML files are
 * parsed again (the parsers load only then), and the new model remembered unless a file it read
 * changed too recently, or is a symbolic link.
 */
export function loadCargoCached(root: string, cache: ModelCache, stats: FileStats): CargoModels {
  return timings.time('cargo', () => {
    const disk = diskCargoFiles(root);
    const cached = cache.cargo;
    if (cached && cached.probes.every((probe) => answersAgain(probe, disk, stats))) {
      cache.keepCargo();
      cache.counts.cargo.cached++;
      timings.note('cargo', `cached; ${cached.probes.length} checks`);
      return cached.models as CargoModels;
    }
    const probes: CargoProbe[] = [];
    let rememberable = true;
    const recording: CargoFiles = {
      read: (path) => {
        // Stat first, then read: a change in between shows as another key on the next run.
        let stat;
        try {
          stat = stats.lstat(path);
        } catch {
          rememberable = false;
        }
        if (stat && !cache.rememberable(stat)) rememberable = false;
        probes.push(['read', path, stat ? statKey(stat) : null]);
        return disk.read(path);
      },
      list: (dir) => record(probes, ['list', dir, disk.list(dir)]),
      isDirectory: (path) => record(probes, ['dir', path, disk.isDirectory(path)]),
      exists: (path) => record(probes, ['exists', path, disk.exists(path)]),
    };
    const { loadCargoModels } = require('../parsers') as typeof import('../parsers');
    const models = loadCargoModels(root, recording);
    cache.counts.cargo.parsed++;
    timings.note('cargo', `parsed; ${probes.length} checks`);
    if (rememberable) cache.rememberCargo({ probes, models });
    return models;
  });
}

function record<T extends string[] | boolean>(probes: CargoProbe[], probe: CargoProbe & { 2: T }): T {
  probes.push(probe);
  return probe[2];
}

/** Whether the disk gives the recorded answer again. */
function answersAgain(probe: CargoProbe, disk: CargoFiles, stats: FileStats): boolean {
  switch (probe[0]) {
    case 'read': {
      let stat;
      try {
        stat = stats.lstat(probe[1]);
      } catch {
        return false;
      }
      return (stat ? statKey(stat) : null) === probe[2];
    }
    case 'list': {
      const names = disk.list(probe[1]);
      return names.length === probe[2].length && names.every((name, i) => name === probe[2][i]);
    }
    case 'dir':
      return disk.isDirectory(probe[1]) === probe[2];
    case 'exists':
      return disk.exists(probe[1]) === probe[2];
  }
}
