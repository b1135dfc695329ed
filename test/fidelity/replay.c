/*
 * Replays a flattened .heaptrace through a real CPython's allocators and prints what
 * _PyObject_DebugMallocStats (the pymalloc part of sys._debugmallocstats()) and
 * sys.getallocatedblocks() report at every snapshot.
 *
 * usage: replay OPS_FILE POOL_SIZE aligned|misaligned
 *
 * OPS_FILE lines (ids name the result of an earlier line; -1 is NULL):
 *   M api size id          api: libc raw mem obj
 *   C api nelem elsize id
 *   R api src_id size id
 *   F api id
 *   S label
 *
 * How the heap is made to start clean, so the comparison with a simulation that starts from an
 * empty heap is exact:
 *
 *  1. The interpreter is initialised normally; it owns a few arenas with partly used pools and
 *     free pools.
 *  2. Every partly used pool is filled: for each size class the stats report "avail blocks" for,
 *     exactly that many blocks of the class are allocated (they come from those pools, since the
 *     used-pool list of a class is served before any new pool). Then, while the stats report
 *     unused pools, one block of the largest class is allocated, which takes a fresh pool from the
 *     usable arenas, and that pool is filled on the next round. The loop ends when no class has an
 *     available block and no arena has an unused pool: every existing pool is full, every existing
 *     arena is full, so usedpools[] and usable_arenas are empty, exactly as in a fresh process.
 *     Filler blocks are never freed, so the interpreter's arenas can never re-enter usable_arenas.
 *  3. The stats at that point are the baseline. From here on only this program calls the
 *     allocators (no Python code runs, so nothing else allocates), and the first allocation of the
 *     trace creates a new arena, as it would on an empty heap.
 *  4. At each snapshot the test subtracts the baseline: per-class pools and blocks, the arena
 *     counters (the high-water mark is compared as max(base, base current + simulated)), the byte
 *     figures and the allocated-block count. Baseline "avail blocks" and unused pools are zero.
 *
 * Arena placement: arenas come from mmap, which is page aligned. With 16 KiB pools (3.10+) an
 * arena's base is pool aligned only by chance, and a misaligned arena has one pool fewer. To make
 * that deterministic the program installs an arena allocator (PyObject_SetArenaAllocator, the
 * documented hook) that places every new arena either on a pool boundary or deliberately one
 * kilobyte past one; the pymalloc algorithm itself is untouched. Arenas allocated before the hook
 * (the interpreter's own) are released through the previous allocator.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_CLASSES 128

typedef int (*stats_fn)(FILE *);
typedef Py_ssize_t (*blocks_fn)(void);

static stats_fn debug_malloc_stats;
static blocks_fn get_allocated_blocks;

/* ---- arena placement ---------------------------------------------------------------------- */

struct mapping {
    void *arena;
    void *base;
    size_t len;
};

static PyObjectArenaAllocator previous_arena_allocator;
static size_t pool_size;
static int misaligned;
static struct mapping *mappings;
static size_t nmappings, capmappings;

static void *
placed_arena_alloc(void *ctx, size_t size)
{
    (void)ctx;
    size_t len = size + 2 * pool_size;
    char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        return NULL;
    }
    uintptr_t a = ((uintptr_t)base + pool_size - 1) & ~(uintptr_t)(pool_size - 1);
    if (misaligned) {
        /* Any offset inside the first pool makes pymalloc skip to the next pool boundary. */
        a += 1024;
    }
    if (nmappings == capmappings) {
        capmappings = capmappings ? capmappings * 2 : 64;
        mappings = realloc(mappings, capmappings * sizeof(*mappings));
        if (mappings == NULL) {
            abort();
        }
    }
    mappings[nmappings].arena = (void *)a;
    mappings[nmappings].base = base;
    mappings[nmappings].len = len;
    nmappings++;
    return (void *)a;
}

static void
placed_arena_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    for (size_t i = 0; i < nmappings; i++) {
        if (mappings[i].arena == ptr) {
            munmap(mappings[i].base, mappings[i].len);
            mappings[i] = mappings[--nmappings];
            return;
        }
    }
    previous_arena_allocator.free(previous_arena_allocator.ctx, ptr, size);
}

/* ---- reading the statistics --------------------------------------------------------------- */

struct stats {
    long threshold;
    long size[MAX_CLASSES];
    long pools[MAX_CLASSES];
    long blocks[MAX_CLASSES];
    long avail[MAX_CLASSES];
    long unused_pools;
};

static char *
stats_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        perror("open_memstream");
        exit(3);
    }
    debug_malloc_stats(f);
    fclose(f);
    return buf;
}

static void
parse_stats(const char *text, struct stats *s)
{
    memset(s, 0, sizeof(*s));
    const char *line = text;
    while (line && *line) {
        long cls, size, pools, blocks, avail, n, bytes;
        if (sscanf(line, "Small block threshold = %ld", &s->threshold) == 1) {
            /* header */
        }
        else if (sscanf(line, "%ld %ld %ld %ld %ld", &cls, &size, &pools, &blocks, &avail) == 5
                 && cls >= 0 && cls < MAX_CLASSES) {
            s->size[cls] = size;
            s->pools[cls] = pools;
            s->blocks[cls] = blocks;
            s->avail[cls] = avail;
        }
        else if (sscanf(line, "%ld unused pools * %ld bytes", &n, &bytes) == 2) {
            s->unused_pools = n;
        }
        line = strchr(line, '\n');
        if (line) {
            line++;
        }
    }
}

static void
print_state(const char *tag, const char *label)
{
    char *text = stats_text();
    printf("%s %s\n%s", tag, label, text);
    if (get_allocated_blocks) {
        printf("ALLOCATED_BLOCKS %zd\n", get_allocated_blocks());
    }
    else {
        printf("ALLOCATED_BLOCKS unavailable\n");
    }
    printf("END\n");
    free(text);
}

/* Fill every partly used pool and every unused pool of the interpreter's arenas. */
static void
fill_existing_pools(void)
{
    for (int round = 0; round < 1000000; round++) {
        struct stats s;
        char *text = stats_text();
        parse_stats(text, &s);
        free(text);
        int any_avail = 0;
        for (int c = 0; c < MAX_CLASSES; c++) {
            for (long k = 0; k < s.avail[c]; k++) {
                if (PyObject_Malloc((size_t)s.size[c]) == NULL) {
                    fprintf(stderr, "out of memory while filling pools\n");
                    exit(3);
                }
                any_avail = 1;
            }
        }
        if (any_avail) {
            continue;
        }
        if (s.unused_pools == 0) {
            return;
        }
        /* A new pool for the largest class: it comes from the usable arenas. */
        if (PyObject_Malloc((size_t)s.threshold) == NULL) {
            fprintf(stderr, "out of memory while filling pools\n");
            exit(3);
        }
    }
    fprintf(stderr, "could not fill the interpreter's pools\n");
    exit(3);
}

/* ---- replay ------------------------------------------------------------------------------- */

enum api { API_LIBC, API_RAW, API_MEM, API_OBJ };

static int
parse_api(const char *s)
{
    if (strcmp(s, "libc") == 0) return API_LIBC;
    if (strcmp(s, "raw") == 0) return API_RAW;
    if (strcmp(s, "mem") == 0) return API_MEM;
    if (strcmp(s, "obj") == 0) return API_OBJ;
    fprintf(stderr, "unknown api %s\n", s);
    exit(3);
}

static void *
do_malloc(int api, size_t n)
{
    switch (api) {
    case API_LIBC: return malloc(n);
    case API_RAW: return PyMem_RawMalloc(n);
    case API_MEM: return PyMem_Malloc(n);
    default: return PyObject_Malloc(n);
    }
}

static void *
do_calloc(int api, size_t nelem, size_t elsize)
{
    switch (api) {
    case API_LIBC: return calloc(nelem, elsize);
    case API_RAW: return PyMem_RawCalloc(nelem, elsize);
    case API_MEM: return PyMem_Calloc(nelem, elsize);
    default: return PyObject_Calloc(nelem, elsize);
    }
}

static void *
do_realloc(int api, void *p, size_t n)
{
    switch (api) {
    case API_LIBC: return realloc(p, n);
    case API_RAW: return PyMem_RawRealloc(p, n);
    case API_MEM: return PyMem_Realloc(p, n);
    default: return PyObject_Realloc(p, n);
    }
}

static void
do_free(int api, void *p)
{
    switch (api) {
    case API_LIBC: free(p); break;
    case API_RAW: PyMem_RawFree(p); break;
    case API_MEM: PyMem_Free(p); break;
    default: PyObject_Free(p); break;
    }
}

static char *
read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(3);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(3);
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s OPS_FILE POOL_SIZE aligned|misaligned\n", argv[0]);
        return 2;
    }
    pool_size = (size_t)strtoul(argv[2], NULL, 10);
    misaligned = strcmp(argv[3], "misaligned") == 0;

    /* The whole trace is read before Python starts, so the replay itself reads no file. */
    char *ops = read_all(argv[1]);
    long nids = 0;
    for (char *p = ops; *p; p++) {
        if (*p == '\n') nids++;
    }
    void **ptrs = calloc((size_t)nids + 1, sizeof(void *));
    if (ptrs == NULL) {
        return 3;
    }

    Py_InitializeEx(0);
    debug_malloc_stats = (stats_fn)dlsym(RTLD_DEFAULT, "_PyObject_DebugMallocStats");
    get_allocated_blocks = (blocks_fn)dlsym(RTLD_DEFAULT, "_Py_GetAllocatedBlocks");
    if (debug_malloc_stats == NULL) {
        fprintf(stderr, "this CPython does not export _PyObject_DebugMallocStats\n");
        return 3;
    }

    PyObjectArenaAllocator placed = {NULL, placed_arena_alloc, placed_arena_free};
    PyObject_GetArenaAllocator(&previous_arena_allocator);
    PyObject_SetArenaAllocator(&placed);

    fill_existing_pools();
    print_state("BASELINE", "-");

    char *save = NULL;
    for (char *line = strtok_r(ops, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char api_s[16], label[256];
        long a, b, c;
        switch (line[0]) {
        case 'M':
            if (sscanf(line, "M %15s %ld %ld", api_s, &a, &b) != 3) goto bad;
            ptrs[b] = do_malloc(parse_api(api_s), (size_t)a);
            break;
        case 'C':
            if (sscanf(line, "C %15s %ld %ld %ld", api_s, &a, &b, &c) != 4) goto bad;
            ptrs[c] = do_calloc(parse_api(api_s), (size_t)a, (size_t)b);
            break;
        case 'R':
            if (sscanf(line, "R %15s %ld %ld %ld", api_s, &a, &b, &c) != 4) goto bad;
            ptrs[c] = do_realloc(parse_api(api_s), a < 0 ? NULL : ptrs[a], (size_t)b);
            break;
        case 'F':
            if (sscanf(line, "F %15s %ld", api_s, &a) != 2) goto bad;
            do_free(parse_api(api_s), a < 0 ? NULL : ptrs[a]);
            break;
        case 'S':
            if (sscanf(line, "S %255s", label) != 1) goto bad;
            print_state("SNAPSHOT", label);
            break;
        default:
            goto bad;
        }
        continue;
    bad:
        fprintf(stderr, "bad line in %s: %s\n", argv[1], line);
        return 3;
    }
    fflush(stdout);
    /* Finalisation would release the filler and the trace's blocks: nothing left to observe. */
    _exit(0);
}
