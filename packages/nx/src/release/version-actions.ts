/**
 * Nx release's version actions for image projects: an image keeps its version in git tags and in
 * its registry's tags, never in a file, so versioning writes nothing and asks git for the current
 * version (`currentVersionResolver: "git-tag"`); before the first release (`--first-release`, or
 * `fallbackCurrentVersionResolver: "disk"`) an image is at 0.0.0. Named in nx.json as
 * `release.version.versionActions: "@mzbuild/nx/release/version-actions"`.
 */
import type { ProjectGraph, Tree } from '@nx/devkit';
import { VersionActions } from 'nx/release';

export default class ImageVersionActions extends VersionActions {
  validManifestFilenames = null;

  /** Asked only when git has no release tag yet: no release is 0.0.0. */
  async readCurrentVersionFromSourceManifest(_tree: Tree): Promise<{ currentVersion: string; manifestPath: string }> {
    return { currentVersion: '0.0.0', manifestPath: `${this.projectGraphNode.data.root}/mzbuild.yml (no version in it: 0.0.0 until the first release tag)` };
  }

  async readCurrentVersionFromRegistry(_tree: Tree, _metadata: unknown): Promise<null> {
    return null;
  }

  async readCurrentVersionOfDependency(_tree: Tree, _projectGraph: ProjectGraph, _dependency: string): Promise<{ currentVersion: null; dependencyCollection: null }> {
    return { currentVersion: null, dependencyCollection: null };
  }

  async updateProjectVersion(_tree: Tree, newVersion: string): Promise<string[]> {
    return [`Image ${this.projectGraphNode.name} gets tag v${newVersion} when nx release publishes it`];
  }

  async updateProjectDependencies(): Promise<string[]> {
    return [];
  }
}
