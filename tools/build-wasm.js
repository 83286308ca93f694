// Compiles the AssemblyScript kernels in src/kernels/assembly to dist/wasm/kernels.wasm: 128-bit
// SIMD, threads, imported shared memory. The module's static data must end below 32 KiB, inside
// the reserved low bytes of every arena memory, so the build fails when it grows past that.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(root, 'dist/wasm/kernels.wasm');
/** Static data must end below this byte; kernels use the rest of the reserved bytes as scratch (THREAD_SCRATCH_OFFSET). */
const STATIC_DATA_LIMIT = 32 * 1024;

mkdirSync(dirname(outFile), { recursive: true });
const { error, stderr } = await asc.main([
  join(root, 'src/kernels/assembly/index.ts'),
  '--outFile', outFile,
  '--textFile', outFile.replace(/\.wasm$/, '.wat'),
  '-O3',
  '--noAssert',
  '--runtime', 'stub',
  '--importMemory',
  '--noExportMemory',
  '--sharedMemory',
  '--initialMemory', '16',
  '--maximumMemory', '65535',
  '--enable', 'simd,threads',
  '--memoryBase', '1024',
]);
if (error) {
  console.error(stderr.toString());
  console.error(`build-wasm: compiling the kernels failed: ${error.message}`);
  process.exit(1);
}

const module = new WebAssembly.Module(readFileSync(outFile));
const imports = WebAssembly.Module.imports(module).map((entry) => `${entry.module}.${entry.name}`);
const wat = readFileSync(outFile.replace(/\.wasm$/, '.wat'), 'utf8');
const dataEnd = staticDataEnd(wat);
if (dataEnd > STATIC_DATA_LIMIT) {
  console.error(`build-wasm: static data ends at byte ${dataEnd}, above the limit ${STATIC_DATA_LIMIT}: shrink the kernels' tables`);
  process.exit(1);
}
console.log(`build-wasm: wrote ${outFile} (imports ${imports.join(', ')}; static data ends at byte ${dataEnd})`);

/** Returns the byte after the last active data segment listed in the text format. */
function staticDataEnd(text) {
  let end = 0;
  for (const match of text.matchAll(/\(data \$\S+ \(i32\.const (\d+)\) "((?:[^"\\]|\\.)*)"\)/g)) {
    // Each escape (\hh, \n, \", ...) is one byte; every other character is one ASCII byte.
    const bytes = match[2].replace(/\\[0-9a-fA-F]{2}|\\./g, '.').length;
    end = Math.max(end, Number(match[1]) + bytes);
  }
  return end;
}
