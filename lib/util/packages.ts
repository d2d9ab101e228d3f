/**
 * Installed package facts without loading the package: its real name and version from its own
 * package.json (read from disk, so packages whose `exports` hide package.json still answer).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface InstalledPackage {
  /** The name in the installed package.json (differs from the folder when npm maps an alias). */
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/** The installed package reachable as `pkg` from this module, or null. */
export function installedPackage(pkg: string): InstalledPackage | null {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const file = path.join(dir, pkg, 'package.json');
    if (!fs.existsSync(file)) continue;
    try {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      return { name: json.name ?? pkg, version: json.version ?? 'unknown', dir: path.dirname(file) };
    } catch {
      return null;
    }
  }
  return null;
}
