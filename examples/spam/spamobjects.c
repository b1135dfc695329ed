/* spamobjects.c - the spam.Buffer and spam.Record types. */
#include "spam.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* spam.Buffer                                                          */
/* ------------------------------------------------------------------ */

static int
Buffer_init(BufferObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"capacity", NULL};
    Py_ssize_t capacity = 64;
    char *data;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|n:Buffer", kwlist,
                                     &capacity))
        return -1;
    if (capacity < 0) {
        PyErr_SetString(PyExc_ValueError, "capacity must be >= 0");
        return -1;
    }

    data = PyMem_Malloc(capacity > 0 ? (size_t)capacity : 1);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    /* __init__ may run more than once: drop the previous storage. */
    PyMem_Free(self->data);
    self->data = data;
    self->len = 0;
    self->cap = capacity;
    return 0;
}

static void
Buffer_dealloc(BufferObject *self)
{
    PyMem_Free(self->data);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Buffer_append(BufferObject *self, PyObject *arg)
{
    Py_buffer view;

    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (view.len > PY_SSIZE_T_MAX - self->len) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    if (self->len + view.len > self->cap) {
        Py_ssize_t newcap = spam_grow_capacity(self->cap, self->len + view.len);
        char *newdata = PyMem_Realloc(self->data, (size_t)newcap);
        if (newdata == NULL) {
            PyBuffer_Release(&view);
            return PyErr_NoMemory();
        }
        self->data = newdata;
        self->cap = newcap;
    }
    memcpy(self->data + self->len, view.buf, (size_t)view.len);
    self->len += view.len;
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

static PyObject *
Buffer_getvalue(BufferObject *self, PyObject *Py_UNUSED(ignored))
{
    /* PyBytes_FromStringAndSize copies; self->data stays ours. */
    return PyBytes_FromStringAndSize(self->data, self->len);
}

static PyObject *
Buffer_clear(BufferObject *self, PyObject *Py_UNUSED(ignored))
{
    spam_buffer_clear(self);
    Py_RETURN_NONE;
}

static Py_ssize_t
Buffer_length(BufferObject *self)
{
    return self->len;
}

static PyMethodDef Buffer_methods[] = {
    {"append", (PyCFunction)Buffer_append, METH_O,
     "append(data) -> None\n\nAppend a bytes-like object."},
    {"getvalue", (PyCFunction)Buffer_getvalue, METH_NOARGS,
     "getvalue() -> bytes"},
    {"clear", (PyCFunction)Buffer_clear, METH_NOARGS,
     "clear() -> None\n\nRelease the storage."},
    {NULL, NULL, 0, NULL}
};

static PySequenceMethods Buffer_as_sequence = {
    .sq_length = (lenfunc)Buffer_length,
};

PyTypeObject Buffer_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "spam.Buffer",
    .tp_doc = "Growable byte buffer.",
    .tp_basicsize = sizeof(BufferObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Buffer_init,
    .tp_dealloc = (destructor)Buffer_dealloc,
    .tp_methods = Buffer_methods,
    .tp_as_sequence = &Buffer_as_sequence,
};

/* ------------------------------------------------------------------ */
/* spam.Record (garbage collected: the payload may be any object)       */
/* ------------------------------------------------------------------ */

static int
Record_traverse(RecordObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->payload);
    return 0;
}

static int
Record_clear(RecordObject *self)
{
    Py_CLEAR(self->payload);
    return 0;
}

static void
Record_dealloc(RecordObject *self)
{
    PyObject_GC_UnTrack(self);
    Py_CLEAR(self->payload);
    PyMem_Free(self->key);
    PyObject_Del(self); /* expect: gc-mismatch */
}

static PyObject *
Record_repr(RecordObject *self)
{
    PyObject *payload_repr, *result;

    payload_repr = PyObject_Repr(self->payload);
    if (payload_repr == NULL)
        return NULL;
    result = PyUnicode_FromFormat("Record(%s, %U)", self->key, payload_repr);
    PyObject_Free(payload_repr); /* expect: object-raw-free */
    return result;
}

static PyObject *
Record_rename(RecordObject *self, PyObject *arg)
{
    const char *key;
    char *copy;

    /* The UTF-8 text belongs to `arg`; keep a private copy. */
    key = PyUnicode_AsUTF8(arg);
    if (key == NULL)
        return NULL;
    copy = spam_strdup(key);
    if (copy == NULL)
        return NULL;
    PyMem_Free(self->key);
    self->key = copy;
    Py_RETURN_NONE;
}

static PyObject *
Record_get_key(RecordObject *self, void *Py_UNUSED(closure))
{
    return PyUnicode_FromString(self->key);
}

static PyObject *
Record_get_payload(RecordObject *self, void *Py_UNUSED(closure))
{
    return Py_NewRef(self->payload);
}

static PyMethodDef Record_methods[] = {
    {"rename", (PyCFunction)Record_rename, METH_O,
     "rename(key) -> None"},
    {NULL, NULL, 0, NULL}
};

static PyGetSetDef Record_getset[] = {
    {"key", (getter)Record_get_key, NULL, "record key", NULL},
    {"payload", (getter)Record_get_payload, NULL, "record payload", NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

PyTypeObject Record_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "spam.Record",
    .tp_doc = "A key attached to a payload; create with spam.record().",
    .tp_basicsize = sizeof(RecordObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_dealloc = (destructor)Record_dealloc,
    .tp_traverse = (traverseproc)Record_traverse,
    .tp_clear = (inquiry)Record_clear,
    .tp_repr = (reprfunc)Record_repr,
    .tp_methods = Record_methods,
    .tp_getset = Record_getset,
};

/* spam.record(key, payload) -> Record */
PyObject *
spam_record(PyObject *module, PyObject *args)
{
    const char *key;
    PyObject *payload;
    RecordObject *self;

    if (!PyArg_ParseTuple(args, "sO:record", &key, &payload))
        return NULL;

    self = PyObject_GC_New(RecordObject, &Record_Type);
    if (self == NULL)
        return NULL;
    self->payload = Py_NewRef(payload);
    self->key = spam_strdup(key);
    if (self->key == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    PyObject_GC_Track((PyObject *)self);
    return (PyObject *)self;
}
