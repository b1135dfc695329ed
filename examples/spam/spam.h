/* spam.h - declarations shared by the spam extension's translation units. */
#ifndef SPAM_H
#define SPAM_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Inputs at least this large are processed with the GIL released. */
#define SPAM_NOGIL_THRESHOLD (64 * 1024)

typedef struct {
    PyObject *error;            /* spam.error */
    char *default_encoding;     /* PyMem_Malloc family, freed in m_free */
    Py_ssize_t files_read;
} spam_state;

/* spam.Buffer: a growable byte buffer. */
typedef struct {
    PyObject_HEAD
    char *data;                 /* PyMem_Malloc family */
    Py_ssize_t len;
    Py_ssize_t cap;
} BufferObject;

/* spam.Record: a key (C string) attached to an arbitrary payload. */
typedef struct {
    PyObject_HEAD
    char *key;                  /* PyMem_Malloc family */
    PyObject *payload;
} RecordObject;

extern PyTypeObject Buffer_Type;
extern PyTypeObject Record_Type;

/* spamutil.c */
void *spam_alloc(size_t size);
char *spam_strndup(const char *s, Py_ssize_t n);
char *spam_strdup(const char *s);
char *spam_join_lines(PyObject *lines, Py_ssize_t *total);
Py_ssize_t spam_grow_capacity(Py_ssize_t current, Py_ssize_t needed);
Py_ssize_t spam_normalize_newlines(char *dst, const char *src, Py_ssize_t n);
unsigned long spam_adler32(const char *data, Py_ssize_t n);
void spam_buffer_clear(BufferObject *b);

/* spamobjects.c */
PyObject *spam_record(PyObject *module, PyObject *args);

/* spamio.c */
PyObject *spam_read_file(PyObject *module, PyObject *args);
PyObject *spam_read_chunk(PyObject *module, PyObject *args);
PyObject *spam_split_lines(PyObject *module, PyObject *arg);
PyObject *spam_write_lines(PyObject *module, PyObject *args);

#endif /* SPAM_H */
