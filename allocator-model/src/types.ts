/** Shapes of the allocator model's data files (allocator-model/data/*.json, schema/model.schema.json). */

export type GilRule = 'required' | 'free';

export interface Family {
  id: string;
  label: string;
  release?: string;
  gil?: GilRule;
  debugApi?: string;
  heap?: string;
  docs?: string;
}

export type ApiKind =
  | 'alloc' | 'realloc' | 'free' | 'result' | 'borrowed' | 'borrowed-out' | 'newref' | 'typed-alloc'
  | 'out-alloc' | 'newref-out' | 'opaque' | 'gil-release' | 'gil-acquire' | 'gil-restore-unknown';

export interface Api {
  name: string;
  kind: ApiKind;
  family?: string;
  ptrArg?: number;
  outArg?: number;
  sizeArgs?: number[];
  typeArg?: number;
  assignsPtrArg?: boolean;
  reusesOut?: boolean;
  allocWhenArgNull?: number;
  takesOwnershipOfArg?: number;
  /**
   * The pointer argument `arg` is kept by the object the call makes, in a slot named by the text of
   * argument `keyArg` (PyCapsule_New: the capsule's name): like a field, for field-family-conflict.
   */
  storesInSlot?: { arg: number; slot: string; keyArg: number };
  /** The result is what a slot of that kind, named by argument `keyArg`, holds (PyCapsule_GetPointer). */
  readsSlot?: { slot: string; keyArg: number };
  setsException?: boolean;
  noFail?: boolean;
  success?: 'zero' | 'truthy';
  gil?: GilRule;
  since?: string;
  until?: string;
  freeThreaded?: 'same' | 'absent';
  macro?: boolean;
  private?: boolean;
  aliasOf?: string;
  owner?: string;
  note?: string;
  docs?: string;
}

export interface BorrowedFields { type: string; fields: string[]; owner?: string; docs?: string }
export interface StatementMacro { name: string; effect: 'gil-release' | 'gil-acquire' | 'none'; functionLike?: boolean; since?: string; docs?: string }
export interface NamedMacro { name: string; docs?: string }
export interface TypeWrapperMacro { name: string; replacement: string; docs?: string }
export interface ArgParser { name: string; formatArg: number; varargsFrom: number; docs?: string }
export type UnitArg = 'skip' | 'alloc-out' | 'alloc-out-unless-set' | 'borrowed-out' | 'buffer-out' | 'converter' | 'converter-out';
export interface FormatUnit { unit: string; args: UnitArg[]; family?: string }

/** One data file: every section is optional so the model can be split by topic. */
export interface ModelFile {
  families?: Family[];
  apis?: Api[];
  borrowedFields?: BorrowedFields[];
  statementMacros?: StatementMacro[];
  memberMacros?: NamedMacro[];
  typeWrapperMacros?: TypeWrapperMacro[];
  objectApiPattern?: string;
  objectTypePattern?: string;
  exceptionSetters?: string;
  exceptionSetterHint?: string;
  /** Functions that always leave an exception set (a subset of exceptionSetters, which may). */
  exceptionRaisers?: string;
  /** Functions after which no exception is set any more. */
  exceptionClearers?: string;
  parsers?: ArgParser[];
  units?: FormatUnit[];
  ignored?: string;
  returnMacros?: NamedMacro[];
  headInitMacros?: NamedMacro[];
  noreturnFunctions?: string[];
  refcountReleases?: string[];
  pythonFacingTables?: string[];
  nonCapturing?: string[];
  /** Branch-prediction hints: a condition `unlikely(x)` tests x. */
  conditionHints?: string[];
  /** Functions whose result is their first argument (`strcpy(dst, src)` returns dst). */
  returnsFirstArgument?: string[];
  statusResults?: StatusResults;
}

/** Status-struct conventions (PyStatus): constructors of success and error values, and the error test. */
export interface StatusResults {
  ok: string[];
  error: string[];
  isError: string[];
}

export type Severity = 'off' | 'info' | 'warning' | 'error';

/** heaplint.json, as validated against schema/heaplint.schema.json. */
export interface WorkspaceConfig {
  python?: string;
  families?: Family[];
  functions?: Api[];
  rules?: Record<string, Severity>;
  exclude?: string[];
}
