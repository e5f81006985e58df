/** The parse stage: log line text to Packet. */
export { parseLine, parseText, parseBytes, finishParse, type ParseResult } from './parse-line.js';
export { createParseContext, type ParseContext, type ParseOptions } from './context.js';
export { parseUlogdJson } from './ulogd-json.js';
