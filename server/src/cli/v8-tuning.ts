/**
 * V8 settings for a batch run of the analysis (the CLI and its benchmark), set before any of the
 * engine's code is compiled. The flow analysis is a few large functions called millions of times.
 * With V8's default inlining budget, optimising them produces large compile jobs. Some of those jobs
 * are thrown away after a deoptimisation and compiled again. On the CPython corpus, TurboFan spent
 * about 5.7 s of background CPU on about 600 compile jobs. That is over half of the run's own time,
 * and on a 2-core machine it competes with the analysis and with the other worker thread.
 * A smaller cumulative inlining budget made one thread ~5% faster and two workers ~12% faster, with
 * ~1 s less CPU (`npm run bench`, ARCHITECTURE.md). The flags are process-wide, so workers share them.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--max-inlined-bytecode-size-cumulative=150');
