/** The sources stage: where log lines come from. */
export { pipeLines, type LineSink } from './line-stream.js';
export { readLineBytes, type ByteLineSink } from './chunk-lines.js';
export { openLog, fileTime, orderRotated } from './archive-files.js';
export { openJournal, journalArgs, type JournalQuery, type JournalStream } from './journal-reader.js';
