/**
 * The pprof engine, sealed: everything outside shared/pprof imports from here only. One entry
 * point (`createProfileDecoder(…).decodeProfile`), the types of what it returns, and the few
 * low-level pieces the row encoders need to read its columns without copying them.
 */
export {
  createProfileDecoder,
  type PprofDecoderChoice,
  type ProfileDecoder,
  type ProfileDecoderOptions,
} from './decoder.js';
export { Uint64Map } from './lookup-tables.js';
export * from './types.js';
export { HI, LO } from './wire.js';
