/* spammodule.c - the spam module: state, text helpers and module init. */
#include "spam.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define SPAM_COUNTER_CAPSULE "spam.counter"

static const char hexdigits[] = "0123456789abcdef";

static spam_state *
get_state(PyObject *module)
{
    return (spam_state *)PyModule_GetState(module);
}

/* ------------------------------------------------------------------ */
/* text helpers                                                         */
/* ------------------------------------------------------------------ */

/* spam.pad(text, width, fill=" ") -> str, centred in `width` bytes */
static PyObject *
spam_pad(PyObject *module, PyObject *args)
{
    const char *text;
    Py_ssize_t len, width, left;
    int fill = ' ';
    char *buf;
    PyObject *result;

    if (!PyArg_ParseTuple(args, "s#n|C:pad", &text, &len, &width, &fill))
        return NULL;
    if (fill > 127) {
        PyErr_SetString(PyExc_ValueError, "fill must be an ASCII character");
        return NULL;
    }
    if (width <= len)
        return PyUnicode_FromStringAndSize(text, len);

    buf = PyMem_Malloc((size_t)width);
    if (buf == NULL)
        return PyErr_NoMemory();
    left = (width - len) / 2;
    memset(buf, fill, (size_t)width);
    memcpy(buf + left, text, (size_t)len);
    result = PyUnicode_FromStringAndSize(buf, width);
    free(buf); /* expect: mixed-heap */
    return result;
}

/* spam.display_width(raw: bytes) -> int, terminal columns of a
 * locale-encoded byte string */
static PyObject *
spam_display_width(PyObject *module, PyObject *arg)
{
    wchar_t *wide;
    size_t wlen;
    int width;

    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "expected bytes");
        return NULL;
    }
    wide = Py_DecodeLocale(PyBytes_AS_STRING(arg), &wlen);
    if (wide == NULL) {
        if (wlen == (size_t)-2) {
            PyErr_SetString(PyExc_ValueError, "undecodable byte sequence");
            return NULL;
        }
        return PyErr_NoMemory();
    }
    width = wcswidth(wide, wlen);
    PyMem_Free(wide); /* expect: mixed-heap */
    return PyLong_FromLong(width);
}

/* spam.locale_decode(raw: bytes) -> str */
static PyObject *
spam_locale_decode(PyObject *module, PyObject *arg)
{
    wchar_t *wide;
    size_t wlen;
    PyObject *result;

    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "expected bytes");
        return NULL;
    }
    wide = Py_DecodeLocale(PyBytes_AS_STRING(arg), &wlen);
    if (wide == NULL) {
        if (wlen == (size_t)-2) {
            PyErr_SetString(PyExc_ValueError, "undecodable byte sequence");
            return NULL;
        }
        return PyErr_NoMemory();
    }
    result = PyUnicode_FromWideChar(wide, (Py_ssize_t)wlen);
    PyMem_RawFree(wide);
    return result;
}

/* spam.shout(text) -> text in upper case (ASCII letters only) */
static PyObject *
spam_shout(PyObject *module, PyObject *arg)
{
    const char *text;
    char *upper;
    Py_ssize_t len, i;
    PyObject *result;

    text = PyUnicode_AsUTF8AndSize(arg, &len);
    if (text == NULL)
        return NULL;
    upper = spam_strndup(text, len);
    if (upper == NULL)
        return NULL;
    for (i = 0; i < len; i++)
        upper[i] = Py_TOUPPER(upper[i]);
    result = PyUnicode_FromStringAndSize(upper, len);
    PyMem_Free(upper);
    free((char *)text); /* expect: borrowed-free */
    return result;
}

/* spam.hexlify(data) -> str */
static PyObject *
spam_hexlify(PyObject *module, PyObject *args)
{
    Py_buffer view;
    char stackbuf[128];
    char *out = stackbuf;
    const unsigned char *p;
    Py_ssize_t i;
    PyObject *result;

    if (!PyArg_ParseTuple(args, "y*:hexlify", &view))
        return NULL;
    if (view.len > PY_SSIZE_T_MAX / 2) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    if (view.len * 2 > (Py_ssize_t)sizeof(stackbuf)) {
        out = PyMem_Malloc((size_t)view.len * 2);
        if (out == NULL) {
            PyBuffer_Release(&view);
            return PyErr_NoMemory();
        }
    }
    p = view.buf;
    for (i = 0; i < view.len; i++) {
        out[2 * i] = hexdigits[p[i] >> 4];
        out[2 * i + 1] = hexdigits[p[i] & 0x0f];
    }
    result = PyUnicode_FromStringAndSize(out, view.len * 2);
    PyBuffer_Release(&view);
    PyMem_Free(out); /* expect: non-heap-free */
    return result;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* spam.unhexlify(text) -> bytes */
static PyObject *
spam_unhexlify(PyObject *module, PyObject *args)
{
    const char *text;
    Py_ssize_t len, i;
    char stackbuf[128];
    char *out = stackbuf;
    PyObject *result = NULL;

    if (!PyArg_ParseTuple(args, "s#:unhexlify", &text, &len))
        return NULL;
    if (len % 2) {
        PyErr_SetString(PyExc_ValueError, "odd-length string");
        return NULL;
    }
    if (len / 2 > (Py_ssize_t)sizeof(stackbuf)) {
        out = PyMem_Malloc((size_t)len / 2);
        if (out == NULL)
            return PyErr_NoMemory();
    }
    for (i = 0; i < len; i += 2) {
        int hi = hexval(text[i]), lo = hexval(text[i + 1]);
        if (hi < 0 || lo < 0) {
            PyErr_SetString(PyExc_ValueError, "non-hexadecimal digit");
            goto done;
        }
        out[i / 2] = (char)((hi << 4) | lo);
    }
    result = PyBytes_FromStringAndSize(out, len / 2);
done:
    if (out != stackbuf)
        PyMem_Free(out);
    return result;
}

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* spam.median(sequence of numbers) -> float */
static PyObject *
spam_median(PyObject *module, PyObject *arg)
{
    PyObject *seq, **items;
    Py_ssize_t n, i;
    double *values, m;

    seq = PySequence_Fast(arg, "median() expects a sequence");
    if (seq == NULL)
        return NULL;
    n = PySequence_Fast_GET_SIZE(seq);
    if (n == 0) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "median() of an empty sequence");
        return NULL;
    }
    values = PyMem_New(double, n); /* expect: leak */
    if (values == NULL) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    items = PySequence_Fast_ITEMS(seq);
    for (i = 0; i < n; i++) {
        values[i] = PyFloat_AsDouble(items[i]);
        if (values[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
    }
    Py_DECREF(seq);

    qsort(values, (size_t)n, sizeof(double), compare_doubles);
    m = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
    PyMem_Free(values);
    return PyFloat_FromDouble(m);
}

/* spam.expand_tabs(text, tabsize=8) -> str */
static PyObject *
spam_expand_tabs(PyObject *module, PyObject *args)
{
    const char *text;
    Py_ssize_t len, i, j = 0, col = 0, outlen = 0;
    int tabsize = 8;
    char *out;
    PyObject *result;

    if (!PyArg_ParseTuple(args, "s#|i:expand_tabs", &text, &len, &tabsize))
        return NULL;
    if (tabsize <= 0) {
        PyErr_SetString(PyExc_ValueError, "tabsize must be positive");
        return NULL;
    }
    for (i = 0; i < len; i++) {
        Py_ssize_t w = text[i] == '\t' ? tabsize - col % tabsize : 1;
        if (outlen > PY_SSIZE_T_MAX - w - 1) {
            PyErr_SetString(PyExc_OverflowError, "result too long");
            return NULL;
        }
        outlen += w;
        col = text[i] == '\n' ? 0 : col + w;
    }

    out = PyMem_Malloc((size_t)outlen + 1);
    if (out == NULL)
        return NULL; /* expect: nomemory-not-set */
    col = 0;
    for (i = 0; i < len; i++) {
        if (text[i] == '\t') {
            Py_ssize_t w = tabsize - col % tabsize;
            memset(out + j, ' ', (size_t)w);
            j += w;
            col += w;
        }
        else {
            out[j++] = text[i];
            col = text[i] == '\n' ? 0 : col + 1;
        }
    }
    out[j] = '\0';
    result = PyUnicode_DecodeUTF8(out, j, "strict");
    PyMem_Free(out);
    return result;
}

/* spam.text_checksum(data) -> int: Adler-32 of the data with newlines
 * normalised to "\n".  Large inputs are processed without the GIL; their
 * scratch copy is released before the GIL is taken back, so it comes from
 * the raw domain. */
static PyObject *
spam_text_checksum(PyObject *module, PyObject *args)
{
    Py_buffer view;
    char *scratch;
    Py_ssize_t n;
    unsigned long sum;
    int nogil;

    if (!PyArg_ParseTuple(args, "y*:text_checksum", &view))
        return NULL;
    nogil = view.len >= SPAM_NOGIL_THRESHOLD;
    scratch = nogil ? PyMem_RawMalloc((size_t)view.len) : PyMem_Malloc((size_t)view.len + 1);
    if (scratch == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    if (nogil) {
        Py_BEGIN_ALLOW_THREADS
        n = spam_normalize_newlines(scratch, view.buf, view.len);
        sum = spam_adler32(scratch, n);
        PyMem_RawFree(scratch);
        Py_END_ALLOW_THREADS
    }
    else {
        n = spam_normalize_newlines(scratch, view.buf, view.len);
        sum = spam_adler32(scratch, n);
        PyMem_Free(scratch);
    }
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(sum);
}

/* ------------------------------------------------------------------ */
/* counters: a C struct handed to Python inside a capsule               */
/* ------------------------------------------------------------------ */

typedef struct {
    long value;
    long step;
} spam_counter;

static void
counter_capsule_destructor(PyObject *capsule)
{
    spam_counter *counter = PyCapsule_GetPointer(capsule, SPAM_COUNTER_CAPSULE);
    PyMem_Free(counter);
}

/* spam.counter(start=0, step=1) -> capsule */
static PyObject *
spam_counter_new(PyObject *module, PyObject *args)
{
    long start = 0, step = 1;
    spam_counter *counter;
    PyObject *capsule;

    if (!PyArg_ParseTuple(args, "|ll:counter", &start, &step))
        return NULL;
    counter = PyMem_Malloc(sizeof(*counter));
    if (counter == NULL)
        return PyErr_NoMemory();
    counter->value = start;
    counter->step = step;
    capsule = PyCapsule_New(counter, SPAM_COUNTER_CAPSULE,
                            counter_capsule_destructor);
    if (capsule == NULL)
        PyMem_Free(counter);
    return capsule;
}

/* spam.next(counter) -> int */
static PyObject *
spam_counter_next(PyObject *module, PyObject *capsule)
{
    spam_counter *counter = PyCapsule_GetPointer(capsule, SPAM_COUNTER_CAPSULE);
    long value;

    if (counter == NULL)
        return NULL;
    value = counter->value;
    counter->value += counter->step;
    return PyLong_FromLong(value);
}

/* ------------------------------------------------------------------ */
/* module state                                                         */
/* ------------------------------------------------------------------ */

/* spam.get_encoding() -> str */
static PyObject *
spam_get_encoding(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyUnicode_FromString(get_state(module)->default_encoding);
}

/* spam.set_encoding(name) -> None */
static PyObject *
spam_set_encoding(PyObject *module, PyObject *arg)
{
    spam_state *st = get_state(module);
    const char *name;
    char *copy;

    name = PyUnicode_AsUTF8(arg);
    if (name == NULL)
        return NULL;
    copy = spam_strdup(name);
    if (copy == NULL)
        return NULL;
    PyMem_Free(st->default_encoding);
    st->default_encoding = copy;
    Py_RETURN_NONE;
}

static PyMethodDef spam_methods[] = {
    {"pad", spam_pad, METH_VARARGS, "pad(text, width, fill=' ') -> str"},
    {"display_width", spam_display_width, METH_O, "display_width(raw) -> int"},
    {"locale_decode", spam_locale_decode, METH_O, "locale_decode(raw) -> str"},
    {"shout", spam_shout, METH_O, "shout(text) -> str"},
    {"hexlify", spam_hexlify, METH_VARARGS, "hexlify(data) -> str"},
    {"unhexlify", spam_unhexlify, METH_VARARGS, "unhexlify(text) -> bytes"},
    {"median", spam_median, METH_O, "median(values) -> float"},
    {"expand_tabs", spam_expand_tabs, METH_VARARGS, "expand_tabs(text, tabsize=8) -> str"},
    {"text_checksum", spam_text_checksum, METH_VARARGS, "text_checksum(data) -> int"},
    {"counter", spam_counter_new, METH_VARARGS, "counter(start=0, step=1) -> capsule"},
    {"next", spam_counter_next, METH_O, "next(counter) -> int"},
    {"get_encoding", spam_get_encoding, METH_NOARGS, "get_encoding() -> str"},
    {"set_encoding", spam_set_encoding, METH_O, "set_encoding(name) -> None"},
    {"record", spam_record, METH_VARARGS, "record(key, payload) -> Record"},
    {"read_file", spam_read_file, METH_VARARGS, "read_file(path) -> bytes"},
    {"read_chunk", spam_read_chunk, METH_VARARGS, "read_chunk(fd, size) -> bytes"},
    {"split_lines", spam_split_lines, METH_O, "split_lines(data) -> list"},
    {"write_lines", spam_write_lines, METH_VARARGS, "write_lines(path, lines) -> None"},
    {NULL, NULL, 0, NULL}
};

static int
spam_traverse(PyObject *module, visitproc visit, void *arg)
{
    spam_state *st = get_state(module);
    if (st != NULL)
        Py_VISIT(st->error);
    return 0;
}

static int
spam_clear(PyObject *module)
{
    spam_state *st = get_state(module);
    if (st != NULL)
        Py_CLEAR(st->error);
    return 0;
}

static void
spam_free(void *module)
{
    spam_state *st = get_state((PyObject *)module);
    if (st == NULL)
        return;
    Py_CLEAR(st->error);
    PyMem_Free(st->default_encoding);
    st->default_encoding = NULL;
}

static struct PyModuleDef spam_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "spam",
    .m_doc = "Example extension linted by heaplint (contains deliberate bugs).",
    .m_size = sizeof(spam_state),
    .m_methods = spam_methods,
    .m_traverse = spam_traverse,
    .m_clear = spam_clear,
    .m_free = spam_free,
};

PyMODINIT_FUNC
PyInit_spam(void)
{
    PyObject *m;
    spam_state *st;

    if (PyType_Ready(&Buffer_Type) < 0 || PyType_Ready(&Record_Type) < 0)
        return NULL;
    m = PyModule_Create(&spam_module);
    if (m == NULL)
        return NULL;
    st = get_state(m);
    st->default_encoding = spam_strdup("utf-8");
    if (st->default_encoding == NULL)
        goto error;
    st->error = PyErr_NewException("spam.error", NULL, NULL);
    if (st->error == NULL)
        goto error;
    if (PyModule_AddObjectRef(m, "error", st->error) < 0
        || PyModule_AddType(m, &Buffer_Type) < 0
        || PyModule_AddType(m, &Record_Type) < 0)
        goto error;
    return m;

error:
    Py_DECREF(m);
    return NULL;
}
