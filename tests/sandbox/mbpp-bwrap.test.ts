// MBPP reference solutions inside bubblewrap.

import { bubblewrapAvailable } from './helpers.js';
import { defineMbppSuite } from './mbpp-suite.js';

defineMbppSuite('bubblewrap', !bubblewrapAvailable && 'bubblewrap (bwrap) is not installed');
