/**
 * Allocator families and the C functions that belong to them.
 *
 * Families are small integers because every simulated block carries one in a typed array.
 */

export const LIBC = 1;
export const RAW = 2;
export const MEM = 3;
export const OBJECT = 4;
export type Family = 1 | 2 | 3 | 4;

export const FAMILY_NAMES: Record<Family, 'libc' | 'raw' | 'mem' | 'object'> = {
  1: 'libc',
  2: 'raw',
  3: 'mem',
  4: 'object',
};

/** The API id byte the debug hooks store in front of each block (PEP 445); libc blocks have none. */
export const DEBUG_API_ID: Record<Family, string | undefined> = { 1: undefined, 2: 'r', 3: 'm', 4: 'o' };

export type ApiKind = 'malloc' | 'calloc' | 'realloc' | 'free';

export interface ApiFunction {
  name: string;
  family: Family;
  kind: ApiKind;
}

const TABLE: ApiFunction[] = [
  { name: 'malloc', family: LIBC, kind: 'malloc' },
  { name: 'calloc', family: LIBC, kind: 'calloc' },
  { name: 'realloc', family: LIBC, kind: 'realloc' },
  { name: 'free', family: LIBC, kind: 'free' },
  { name: 'PyMem_RawMalloc', family: RAW, kind: 'malloc' },
  { name: 'PyMem_RawCalloc', family: RAW, kind: 'calloc' },
  { name: 'PyMem_RawRealloc', family: RAW, kind: 'realloc' },
  { name: 'PyMem_RawFree', family: RAW, kind: 'free' },
  { name: 'PyMem_Malloc', family: MEM, kind: 'malloc' },
  { name: 'PyMem_Calloc', family: MEM, kind: 'calloc' },
  { name: 'PyMem_Realloc', family: MEM, kind: 'realloc' },
  { name: 'PyMem_Free', family: MEM, kind: 'free' },
  { name: 'PyObject_Malloc', family: OBJECT, kind: 'malloc' },
  { name: 'PyObject_Calloc', family: OBJECT, kind: 'calloc' },
  { name: 'PyObject_Realloc', family: OBJECT, kind: 'realloc' },
  { name: 'PyObject_Free', family: OBJECT, kind: 'free' },
];

const BY_NAME = new Map(TABLE.map((f) => [f.name, f]));

export function apiFunction(name: string): ApiFunction | undefined {
  return BY_NAME.get(name);
}

export function apiFunctions(kind?: ApiKind): ApiFunction[] {
  return kind ? TABLE.filter((f) => f.kind === kind) : [...TABLE];
}

/** The function of `family` that performs `kind`, e.g. (MEM, 'free') -> "PyMem_Free". */
export function apiName(family: Family, kind: ApiKind): string {
  const f = TABLE.find((t) => t.family === family && t.kind === kind);
  if (!f) throw new Error(`no ${kind} function in family ${family}`);
  return f.name;
}

/** mem and object share pymalloc in a release build; libc and raw share malloc. */
export function usesPymalloc(family: Family): boolean {
  return family === MEM || family === OBJECT;
}
