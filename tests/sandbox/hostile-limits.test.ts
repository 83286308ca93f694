// Hostile programs with bubblewrap forced off: resource limits and the trusted harness only.

import { defineHostileSuite } from './hostile-suite.js';

defineHostileSuite('limits-only', false);
