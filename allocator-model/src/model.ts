/**
 * The allocator model the engine consults: bundled data plus a workspace's heaplint.json, resolved for
 * one CPython version. Every lookup the engine makes on a hot path is a Map lookup.
 */
import type { Api, ArgParser, Family, FormatUnit, ModelFile, StatementMacro, TypeWrapperMacro } from './types';
import { DEFAULT_PYTHON, inRange, parsePythonVersion, type PythonTarget } from './version';

export interface Model {
  python: PythonTarget;
  families: Map<string, Family>;
  apis: Map<string, Api>;
  /** APIs that exist in some supported version but not in the selected one (for hover and notes). */
  absentApis: Map<string, Api>;
  borrowedFields: Map<string, { fields: Set<string>; owner?: string; docs?: string }>;
  statementMacros: Map<string, StatementMacro>;
  memberMacros: Set<string>;
  typeWrapperMacros: Map<string, TypeWrapperMacro>;
  objectApi: RegExp;
  objectType: RegExp;
  exceptionSetters: RegExp;
  exceptionSetterHint: RegExp;
  exceptionRaisers: RegExp;
  exceptionClearers: RegExp;
  parsers: Map<string, ArgParser>;
  /** Longest unit first, so "es#" is tried before "es" and "s". */
  units: FormatUnit[];
  unitIgnored: Set<string>;
  returnMacros: Set<string>;
  headInitMacros: Set<string>;
  noreturn: Set<string>;
  refcountReleases: Set<string>;
  pythonFacingTables: Set<string>;
  nonCapturing: Set<string>;
  returnsFirstArgument: Set<string>;
  conditionHints: Set<string>;
  /** name → how a status-struct macro reads: a success value, an error value, or an error test. */
  statusResults: Map<string, 'ok' | 'error' | 'isError'>;
}

/** Merges model files in order; later files (the workspace's) override earlier entries of the same name. */
export function buildModel(files: ModelFile[], python: string = DEFAULT_PYTHON): Model {
  const target = parsePythonVersion(python) ?? parsePythonVersion(DEFAULT_PYTHON)!;
  const families = new Map<string, Family>();
  const apis = new Map<string, Api>();
  const absentApis = new Map<string, Api>();
  const borrowedFields = new Map<string, { fields: Set<string>; owner?: string; docs?: string }>();
  const statementMacros = new Map<string, StatementMacro>();
  const memberMacros = new Set<string>();
  const typeWrapperMacros = new Map<string, TypeWrapperMacro>();
  const parsers = new Map<string, ArgParser>();
  const units: FormatUnit[] = [];
  let objectApi = '^$';
  let objectType = '^PyObject$';
  let exceptionSetters = '^PyErr_';
  let exceptionSetterHint = '$^';
  let exceptionRaisers = '$^';
  let exceptionClearers = '$^';
  let ignored = '';
  const returnMacros = new Set<string>();
  const headInitMacros = new Set<string>();
  const noreturn = new Set<string>();
  const refcountReleases = new Set<string>();
  const pythonFacingTables = new Set<string>();
  const nonCapturing = new Set<string>();
  const returnsFirstArgument = new Set<string>();
  const conditionHints = new Set<string>();
  const statusResults = new Map<string, 'ok' | 'error' | 'isError'>();

  for (const file of files) {
    for (const f of file.families ?? []) families.set(f.id, f);
    for (const a of file.apis ?? []) {
      if (inRange(target, a.since, a.until) && !(target.freeThreaded && a.freeThreaded === 'absent')) {
        apis.set(a.name, a);
        absentApis.delete(a.name);
      } else {
        absentApis.set(a.name, a);
        apis.delete(a.name);
      }
    }
    for (const b of file.borrowedFields ?? []) borrowedFields.set(b.type, { fields: new Set(b.fields), owner: b.owner, docs: b.docs });
    for (const m of file.statementMacros ?? []) statementMacros.set(m.name, m);
    for (const m of file.memberMacros ?? []) memberMacros.add(m.name);
    for (const m of file.typeWrapperMacros ?? []) typeWrapperMacros.set(m.name, m);
    for (const p of file.parsers ?? []) parsers.set(p.name, p);
    units.push(...(file.units ?? []));
    objectApi = file.objectApiPattern ?? objectApi;
    objectType = file.objectTypePattern ?? objectType;
    exceptionSetters = file.exceptionSetters ?? exceptionSetters;
    exceptionSetterHint = file.exceptionSetterHint ?? exceptionSetterHint;
    exceptionRaisers = file.exceptionRaisers ?? exceptionRaisers;
    exceptionClearers = file.exceptionClearers ?? exceptionClearers;
    ignored = file.ignored ?? ignored;
    for (const m of file.returnMacros ?? []) returnMacros.add(m.name);
    for (const m of file.headInitMacros ?? []) headInitMacros.add(m.name);
    for (const n of file.noreturnFunctions ?? []) noreturn.add(n);
    for (const n of file.refcountReleases ?? []) refcountReleases.add(n);
    for (const n of file.pythonFacingTables ?? []) pythonFacingTables.add(n);
    for (const n of file.nonCapturing ?? []) nonCapturing.add(n);
    for (const n of file.returnsFirstArgument ?? []) returnsFirstArgument.add(n);
    for (const n of file.conditionHints ?? []) conditionHints.add(n);
    for (const kind of ['ok', 'error', 'isError'] as const) for (const n of file.statusResults?.[kind] ?? []) statusResults.set(n, kind);
  }
  units.sort((a, b) => b.unit.length - a.unit.length);
  const hint = exceptionSetterHint.startsWith('(?i)') ? new RegExp(exceptionSetterHint.slice(4), 'i') : new RegExp(exceptionSetterHint);
  return {
    python: target, families, apis, absentApis, borrowedFields, statementMacros, memberMacros, typeWrapperMacros,
    objectApi: new RegExp(objectApi), objectType: new RegExp(objectType), exceptionSetters: new RegExp(exceptionSetters),
    exceptionSetterHint: hint, exceptionRaisers: new RegExp(exceptionRaisers), exceptionClearers: new RegExp(exceptionClearers), parsers, units, unitIgnored: new Set(ignored.split('')),
    returnMacros, headInitMacros, noreturn, refcountReleases, pythonFacingTables, nonCapturing, returnsFirstArgument, conditionHints, statusResults,
  };
}

/** The function that releases a family's blocks, for messages and quick fixes. */
export function releaseFunction(model: Model, family: string): string | undefined {
  return model.families.get(family)?.release;
}

export function familyLabel(model: Model, family: string): string {
  return model.families.get(family)?.label ?? family;
}

/** Whether calling this API needs the GIL: the API's own rule, else its family's. */
export function needsGil(model: Model, api: Api): boolean {
  if (api.gil) return api.gil === 'required';
  if (api.kind === 'gil-acquire') return false;
  if (api.family) return model.families.get(api.family)?.gil === 'required';
  return false;
}
