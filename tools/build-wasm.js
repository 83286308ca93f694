// Compiles the AssemblyScript kernels in src/kernels/assembly to dist/wasm. Filled in with the kernels.
console.log('build-wasm: no kernels yet');
