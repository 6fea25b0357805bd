/**
 * Nx release's version actions for image projects: an image keeps its version in git tags and in
 * its registry's tags, never in a file, so versioning writes nothing and asks git for the current
 * version (`currentVersionResolver: "git-tag"`). Named in nx.json as
 * `release.version.versionActions: "@mzbuild/nx/release/version-actions"`.
 */
import type { ProjectGraph, Tree } from '@nx/devkit';
import { VersionActions } from 'nx/release';

export default class ImageVersionActions extends VersionActions {
  validManifestFilenames = null;

  async readCurrentVersionFromSourceManifest(_tree: Tree): Promise<null> {
    return null;
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
