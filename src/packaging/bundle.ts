/**
 * The whole command line as one CommonJS file, the only form a Node 20 single
 * executable can run (its require() loads built-in modules only). esbuild
 * follows the imports from src/cli/main.ts and inlines every npm dependency
 * they reach; EXTERNAL packages stay out and are loaded from /usr/share/tsad
 * at run time. Any esbuild warning fails the build: one usually means code
 * that would break in the bundle, such as import.meta.url (empty in CommonJS)
 * anywhere but src/io/package-files.ts, which expects it, in tsad or in a
 * dependency (such a dependency goes to EXTERNAL).
 */
import { build, type Plugin } from 'esbuild';
import { join } from 'node:path';

/**
 * Runs first in the executable: require() from PREFIX/share/tsad (the package
 * root, as in src/io/package-files.ts) instead of the SEA's built-ins-only one,
 * so EXTERNAL packages load.
 */
const BANNER = `require = require('node:module').createRequire(require('node:path').join(process.execPath, '..', '..', 'share', 'tsad', 'package.json'));`;

export interface Bundle {
  /** Directories (absolute) of the npm packages inlined into the bundle. */
  packages: string[];
}

/** esbuild plugin: `import 'pkg'` resolves to the file SUBSTITUTES names (root-relative). */
function substitute(root: string, substitutes: Readonly<Record<string, string>>): Plugin {
  return {
    name: 'substitutes',
    setup(b) {
      for (const [pkg, file] of Object.entries(substitutes)) {
        b.onResolve({ filter: new RegExp(`^${pkg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) }, () => ({ path: join(root, file) }));
      }
    },
  };
}

export async function bundleCli(root: string, outFile: string, external: readonly string[], substitutes: Readonly<Record<string, string>>): Promise<Bundle> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    banner: { js: BANNER },
    external: [...external],
    plugins: [substitute(root, substitutes)],
    // import() of an external package becomes require(), which the banner made able to load it.
    supported: { 'dynamic-import': false },
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  // package-files.ts takes the empty import.meta.url to mean "bundled".
  const warnings = result.warnings.filter((w) => !(w.id === 'empty-import-meta' && w.location?.file === 'src/io/package-files.ts'));
  if (warnings.length > 0) {
    throw new Error(`esbuild warnings (fix them; the bundle may not work):\n${warnings.map((w) => `${w.location?.file ?? ''}:${w.location?.line ?? ''}: ${w.text}`).join('\n')}`);
  }
  const dirs = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const dir = packageDirOf(input);
    if (dir !== null) dirs.add(join(root, dir));
  }
  return { packages: [...dirs].sort() };
}

/** 'node_modules/@s/p/x.js' -> 'node_modules/@s/p'; nested node_modules kept; null outside node_modules. */
export function packageDirOf(path: string): string | null {
  const parts = path.split('/');
  const last = parts.lastIndexOf('node_modules');
  if (last < 0 || last + 1 >= parts.length) return null;
  const scoped = (parts[last + 1] as string).startsWith('@');
  const end = last + (scoped ? 3 : 2);
  return end > parts.length ? null : parts.slice(0, end).join('/');
}
