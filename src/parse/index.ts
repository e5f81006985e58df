/** The parse stage: log line text to Packet. */
export { parseLine, parseText, parseBytes, finishParse, type ParseResult } from './parse-line.js';
export { createParseContext, type ParseContext, type ParseOptions } from './context.js';
export { parseUlogdJson } from './ulogd-json.js';
export { ServiceMatcher, serviceAddress, type Explanation } from './services/service-matcher.js';
export { createServiceMatcher, journalIdentifiers, servicePatterns } from './services/load.js';
export type { ServicePattern } from './services/pattern.js';
export { BUILT_IN_SERVICES } from './services/built-in.js';
export { emptyScan, scanLine, type LineScan } from './source-scan.js';
export { sameText } from './line-bytes.js';
