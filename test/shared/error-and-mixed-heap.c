#include <Python.h>
#include <stdlib.h>

static PyObject *
pack(PyObject *module, unsigned char a)
{
    RETURN_PACKED_ARGS(3, PyLong_FromUnsignedLong, unsigned char, a);
}

static void
release(void)
{
    char *p = PyMem_Malloc(4);
    free(p);
}
/* pack() keeps a syntax error (a type as a macro argument); release() mixes heaps at line 14. */
