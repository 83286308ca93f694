#!/usr/bin/env node
import('../dist/src/cli/main.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli')) {
    console.error('nir: the project is not built yet: run `npm install` (or `npm run build`) in its folder');
    process.exit(1);
  }
  throw error;
});
