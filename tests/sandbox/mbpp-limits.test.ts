// MBPP reference solutions with bubblewrap forced off.

import { defineMbppSuite } from './mbpp-suite.js';

defineMbppSuite('limits-only', false);
