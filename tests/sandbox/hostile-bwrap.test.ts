// Hostile programs inside bubblewrap namespaces.

import { bubblewrapAvailable } from './helpers.js';
import { defineHostileSuite } from './hostile-suite.js';

defineHostileSuite('bubblewrap', !bubblewrapAvailable && 'bubblewrap (bwrap) is not installed');
