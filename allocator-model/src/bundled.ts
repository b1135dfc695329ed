/** The model files shipped with heaplint, inlined by the bundler so the CLI and server need no file I/O for them. */
import families from '../data/families.json';
import libc from '../data/apis-libc.json';
import raw from '../data/apis-raw.json';
import mem from '../data/apis-mem.json';
import object from '../data/apis-object.json';
import borrowed from '../data/apis-borrowed.json';
import objects from '../data/apis-objects.json';
import gil from '../data/apis-gil.json';
import pyarg from '../data/pyarg-format.json';
import control from '../data/control.json';
import type { ModelFile } from './types';

export const bundledModelFiles: Record<string, ModelFile> = {
  'families.json': families as ModelFile,
  'apis-libc.json': libc as ModelFile,
  'apis-raw.json': raw as ModelFile,
  'apis-mem.json': mem as ModelFile,
  'apis-object.json': object as ModelFile,
  'apis-borrowed.json': borrowed as ModelFile,
  'apis-objects.json': objects as ModelFile,
  'apis-gil.json': gil as ModelFile,
  'pyarg-format.json': pyarg as ModelFile,
  'control.json': control as ModelFile,
};
