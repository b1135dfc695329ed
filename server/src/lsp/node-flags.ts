/**
 * The Node.js flags the server process is started with: by the VS Code client (execArgv) and by
 * `npm run bench:lsp`, so the benchmark measures the process users run.
 *
 * Why: the first analysis of a file parses every indexed file, and V8, left to its defaults, grows
 * its heap by up to 4× the live size between full collections and keeps those pages afterwards:
 * with CPython's tree as workspace the server stayed at ≈ 0.55 GB resident (0.7 GB peak) for ≈ 0.15 GB
 * of live objects. A smaller growing factor and smaller young-generation semi-spaces make V8 collect
 * sooner instead: ≈ 0.28 GB resident, with no slower edits. Neither is a limit — a larger workspace
 * still gets all the heap it needs (a fixed --max-old-space-size would crash the server there).
 * Semi-spaces of 3 MB rather than 4 MB: with 4 the benchmark's peak reached 300–305 MB in four runs
 * out of four, against 295–296 MB with 3 (2 MB cost ≈ 8 ms at p95; --optimize-for-size saved 15 MB
 * but pushed p95 past 50 ms).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--heap-growing-percent=10', '--max-semi-space-size=3'];
