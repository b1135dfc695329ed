/* spamutil.c - small helpers shared by the other spam translation units.
 *
 * Every allocating helper here returns memory from the PyMem_Malloc family
 * and sets MemoryError itself when it fails, so callers only propagate NULL.
 */
#include "spam.h"

#include <string.h>

void *
spam_alloc(size_t size)
{
    void *p = PyMem_Malloc(size ? size : 1);
    if (p == NULL)
        PyErr_NoMemory();
    return p;
}

char *
spam_strndup(const char *s, Py_ssize_t n)
{
    char *copy = spam_alloc((size_t)n + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, (size_t)n);
    copy[n] = '\0';
    return copy;
}

char *
spam_strdup(const char *s)
{
    return spam_strndup(s, (Py_ssize_t)strlen(s));
}

/* Concatenate a sequence of bytes objects, appending '\n' to each one.
 * Returns a PyMem buffer (NUL-terminated) and stores its length in *total. */
char *
spam_join_lines(PyObject *lines, Py_ssize_t *total)
{
    PyObject *seq, **items;
    Py_ssize_t n, i, size = 0, pos = 0;
    char *buf;

    seq = PySequence_Fast(lines, "lines must be a sequence of bytes");
    if (seq == NULL)
        return NULL;
    n = PySequence_Fast_GET_SIZE(seq);
    items = PySequence_Fast_ITEMS(seq);
    for (i = 0; i < n; i++) {
        if (!PyBytes_Check(items[i])) {
            PyErr_Format(PyExc_TypeError, "lines[%zd] is not bytes", i);
            Py_DECREF(seq);
            return NULL;
        }
        size += PyBytes_GET_SIZE(items[i]) + 1;
    }

    buf = spam_alloc((size_t)size + 1);
    if (buf == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        Py_ssize_t len = PyBytes_GET_SIZE(items[i]);
        memcpy(buf + pos, PyBytes_AS_STRING(items[i]), (size_t)len);
        pos += len;
        buf[pos++] = '\n';
    }
    buf[pos] = '\0';
    Py_DECREF(seq);
    *total = pos;
    return buf;
}

Py_ssize_t
spam_grow_capacity(Py_ssize_t current, Py_ssize_t needed)
{
    Py_ssize_t cap = current > 0 ? current : 64;
    while (cap < needed && cap <= PY_SSIZE_T_MAX / 2)
        cap *= 2;
    return cap < needed ? needed : cap;
}

/* Copy src to dst turning "\r\n" and lone "\r" into "\n".  dst must hold
 * at least n bytes.  Touches no Python object: safe without the GIL. */
Py_ssize_t
spam_normalize_newlines(char *dst, const char *src, Py_ssize_t n)
{
    Py_ssize_t i, j = 0;

    for (i = 0; i < n; i++) {
        if (src[i] == '\r') {
            dst[j++] = '\n';
            if (i + 1 < n && src[i + 1] == '\n')
                i++;
        }
        else {
            dst[j++] = src[i];
        }
    }
    return j;
}

unsigned long
spam_adler32(const char *data, Py_ssize_t n)
{
    unsigned long a = 1, b = 0;
    Py_ssize_t i;

    for (i = 0; i < n; i++) {
        a = (a + (unsigned char)data[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

/* Ported from the pure-C libspam backend, where buffers were managed with
 * malloc/free. */
void
spam_buffer_clear(BufferObject *b)
{
    free(b->data); /* expect: field-family-conflict */
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
