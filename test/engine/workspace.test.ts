import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, Workspace } from '../../server/src/engine';
import { modelFor } from '../../allocator-model/src';

beforeAll(async () => {
  await initParser();
});

const helper = `#include <Python.h>
char *dup_name(const char *s) {
    char *p = PyMem_Malloc(strlen(s) + 1);
    if (p == NULL) { PyErr_NoMemory(); return NULL; }
    strcpy(p, s);
    return p;
}
`;

const user = `#include <Python.h>
char *dup_name(const char *s);
static PyObject *
greet(PyObject *self, PyObject *arg)
{
    const char *s = PyUnicode_AsUTF8(arg);
    if (s == NULL) return NULL;
    char *name = dup_name(s);
    if (name == NULL) return NULL;
    PyObject *r = PyUnicode_FromString(name);
    free(name);
    return r;
}
`;

describe('Workspace', () => {
  it('finds a wrong release through a wrapper defined in another file, and forgets it when the file goes', () => {
    const ws = new Workspace({ model: modelFor() });
    ws.upsert('helper.c', helper);
    ws.upsert('user.c', user);
    const findings = ws.findingsFor('user.c');
    expect(findings.map(f => `${f.range.startLine + 1}:${f.rule}`)).toEqual(['11:mixed-heap']);
    expect(findings[0].message).toContain('dup_name()');
    expect(findings[0].fix?.with).toBe('PyMem_Free');
    ws.remove('helper.c');
    expect(ws.findingsFor('user.c')).toEqual([]);
  });

  it('describes what a pointer holds where the cursor is', () => {
    const ws = new Workspace({ model: modelFor() });
    ws.upsert('helper.c', helper);
    ws.upsert('user.c', user);
    const atFree = ws.describeAt('user.c', 10, 10); // `name` inside free(name)
    expect(atFree).toMatch(/dup_name\(\) \(which allocates with PyMem_Malloc\(\)\)/);
    expect(atFree).toMatch(/live; release with PyMem_Free\(\)/);
    const atS = ws.describeAt('user.c', 7, 27); // `s` in dup_name(s)
    expect(atS).toMatch(/borrowed from PyUnicode_AsUTF8/);
  });

  it('re-analyses after an edit and reuses parse results for unchanged files', () => {
    const ws = new Workspace({ model: modelFor() });
    ws.upsert('helper.c', helper);
    ws.upsert('user.c', user);
    expect(ws.findingsFor('user.c')).toHaveLength(1);
    ws.upsert('user.c', user.replace('free(name);', 'PyMem_Free(name);'));
    expect(ws.findingsFor('user.c')).toEqual([]);
  });
});
