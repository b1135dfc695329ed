/* spamio.c - file and byte-stream helpers exposed by the spam module. */
#include "spam.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* write() until everything is out.  Called with the GIL released. */
static Py_ssize_t
spam_write_all(int fd, const char *buf, Py_ssize_t len)
{
    Py_ssize_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, buf + done, (size_t)(len - done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += n;
    }
    return done;
}

/* spam.read_file(path) -> bytes */
PyObject *
spam_read_file(PyObject *module, PyObject *args)
{
    char *path = NULL;
    char *data = NULL;
    struct stat st;
    Py_ssize_t size = -1, nread = -1;
    int fd, saved_errno = 0;
    PyObject *result;

    if (!PyArg_ParseTuple(args, "et:read_file", "utf-8", &path))
        return NULL;

    Py_BEGIN_ALLOW_THREADS
    fd = open(path, O_RDONLY | O_CLOEXEC);
    Py_END_ALLOW_THREADS
    if (fd < 0) {
        PyMem_Free(path);
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, path); /* expect: use-after-free */
        return NULL;
    }
    PyMem_Free(path);

    /* The whole read runs without the GIL, so the buffer must come from
     * the raw domain. */
    Py_BEGIN_ALLOW_THREADS
    if (fstat(fd, &st) == 0) {
        size = (Py_ssize_t)st.st_size;
        data = PyMem_RawMalloc(size > 0 ? (size_t)size : 1);
        if (data != NULL)
            nread = read(fd, data, (size_t)size);
    }
    saved_errno = errno;
    close(fd);
    Py_END_ALLOW_THREADS

    if (data == NULL) {
        if (size < 0) {
            errno = saved_errno;
            return PyErr_SetFromErrno(PyExc_OSError);
        }
        return PyErr_NoMemory();
    }
    if (nread < 0) {
        errno = saved_errno;
        PyErr_SetFromErrno(PyExc_OSError);
        PyMem_RawFree(data);
        return NULL;
    }
    result = PyBytes_FromStringAndSize(data, nread);
    PyMem_RawFree(data);
    if (result != NULL) {
        spam_state *st_mod = PyModule_GetState(module);
        st_mod->files_read++;
    }
    return result;
}

/* spam.read_chunk(fd, size) -> bytes */
PyObject *
spam_read_chunk(PyObject *module, PyObject *args)
{
    int fd;
    Py_ssize_t size, n = -1;
    char *chunk = NULL;
    PyObject *result;

    if (!PyArg_ParseTuple(args, "in:read_chunk", &fd, &size))
        return NULL;
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "size must be >= 0");
        return NULL;
    }

    Py_BEGIN_ALLOW_THREADS
    chunk = PyMem_Malloc(size > 0 ? (size_t)size : 1); /* expect: gil-released-alloc */
    if (chunk != NULL)
        n = read(fd, chunk, (size_t)size);
    Py_END_ALLOW_THREADS

    if (chunk == NULL)
        return PyErr_NoMemory();
    if (n < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        PyMem_Free(chunk);
        return NULL;
    }
    result = PyBytes_FromStringAndSize(chunk, n);
    PyMem_Free(chunk);
    return result;
}

/* spam.split_lines(data) -> list of bytes, split on b"\n" */
PyObject *
spam_split_lines(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    const char *data;
    Py_ssize_t *ends = NULL;
    Py_ssize_t count = 0, cap = 0, start = 0, i;
    PyObject *list, *item;

    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    data = view.buf;

    for (i = 0; i < view.len; i++) {
        if (data[i] != '\n')
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            ends = PyMem_Realloc(ends, (size_t)cap * sizeof(*ends)); /* expect: realloc-leak */
            if (ends == NULL) {
                PyBuffer_Release(&view);
                return PyErr_NoMemory();
            }
        }
        ends[count++] = i;
    }

    list = PyList_New(0);
    if (list == NULL)
        goto done;
    for (i = 0; i <= count; i++) {
        Py_ssize_t end = i < count ? ends[i] : view.len;
        if (i == count && start == view.len)
            break;              /* no trailing partial line */
        item = PyBytes_FromStringAndSize(data + start, end - start);
        if (item == NULL || PyList_Append(list, item) < 0) {
            Py_XDECREF(item);
            Py_CLEAR(list);
            goto done;
        }
        Py_DECREF(item);
        start = end + 1;
    }

done:
    PyMem_Free(ends);
    PyBuffer_Release(&view);
    return list;
}

/* spam.write_lines(path, lines) -> None; each bytes item gets a "\n". */
PyObject *
spam_write_lines(PyObject *module, PyObject *args)
{
    char *path = NULL;
    char *joined = NULL;
    PyObject *lines;
    Py_ssize_t total = 0, written = -1;
    int fd = -1;

    if (!PyArg_ParseTuple(args, "etO:write_lines", "utf-8", &path, &lines))
        return NULL;

    joined = spam_join_lines(lines, &total);
    if (joined == NULL)
        goto error;

    Py_BEGIN_ALLOW_THREADS
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd >= 0) {
        written = spam_write_all(fd, joined, total);
        if (close(fd) < 0)
            written = -1;
    }
    Py_END_ALLOW_THREADS

    if (fd < 0 || written < 0) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
        PyMem_Free(joined);
        goto error;
    }
    PyMem_Free(joined);
    PyMem_Free(path);
    Py_RETURN_NONE;

error:
    PyMem_Free(joined); /* expect: double-free */
    PyMem_Free(path);
    return NULL;
}
