/**
 * field-family-conflict pairs a release of a field with an assignment of another family made in
 * another function. Which assignment the finding names must not depend on the order the functions
 * were analysed in: CLI workers hand their field events over in whatever order they finished.
 */
import { describe, expect, it } from 'vitest';
import { modelFor } from '../../allocator-model/src';
import { fieldConflicts, type FieldAssign, type FieldRelease } from '../../server/src/engine/project/project';

const model = modelFor({}, '3.11');
const at = (line: number) => ({ startLine: line, startCol: 4, endLine: line, endCol: 20 });
const assign = (file: string, line: number): FieldAssign => ({
  key: 'DeviceObject.device', alloc: { family: 'mem', api: 'PyUnicode_AsWideCharString', via: [], setsException: true }, fn: `${file}#Device_init`, file, range: at(line),
});
const release: FieldRelease = {
  key: 'DeviceObject.device', api: 'free', family: 'libc', via: [], fn: 'b.c#Device_dealloc', fnName: 'Device_dealloc', file: 'b.c', range: at(40), callee: at(40), report: true,
};

describe('fieldConflicts', () => {
  it('names the same assignment whatever the order: one in the release\'s own file first, then by file and line', () => {
    const assigns = [assign('a.c', 30), assign('b.c', 24), assign('b.c', 12), assign('c.c', 5)];
    const orders = [assigns, [...assigns].reverse(), [assigns[2], assigns[0], assigns[3], assigns[1]]];
    const named = orders.map(list => fieldConflicts(list, [release], { model }, () => 'PyMem_Free').map(f => f.message));
    expect(named[0]).toHaveLength(1);
    expect(named[0][0]).toContain('(b.c:13)');
    expect(named[1]).toEqual(named[0]);
    expect(named[2]).toEqual(named[0]);
  });
});
