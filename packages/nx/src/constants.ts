/**
 * The plugin's package name, as users register it in nx.json. @mzbuild/core knows it too (as
 * PLUGIN_NAME, to read the plugin's options); it is repeated here so that the cheap paths of the
 * plugin need not load core, and a test keeps the two equal.
 */
export const PLUGIN_NAME = '@mzbuild/nx';
