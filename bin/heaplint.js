#!/usr/bin/env node
'use strict';
// The command lives in the esbuild bundle; this shim only finds it.
try {
  require.resolve('../dist/cli.js');
} catch {
  process.stderr.write('heaplint: dist/cli.js is missing; run `npm run build` first\n');
  process.exit(2);
}
require('../dist/cli.js');
