/**
 * `tsad analyze [FILE...]`: archived logs (plain, gzip, `-` for stdin, a
 * rotated set read oldest first) or the journal, scored exactly as the
 * daemon would have scored them live, reported as text, JSON or CSV.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { loadConfig } from '../../config/load.js';
import { fileTime, openJournal, orderRotated, pipeLines, type LineSink } from '../../sources/index.js';
import { createParseContext, journalIdentifiers, type ParseContext } from '../../parse/index.js';
import { collectGarbage, COLLECT_BEFORE_REPORT_OF, listedCount } from './analyze-memory.js';
import { BlockWriter, csvHeader, csvRow, DEFAULT_CSV_FIELDS, renderText, topLimits, unknownCsvFields, withSources, writeJsonPieces, writeJsonReport, writeTextReport, type ReportStream } from '../../report/index.js';
import { UsageError } from '../usage-error.js';
import { buildAnalysis, type AnalysisOptions } from '../../pipeline/analysis.js';
import { readArchives, type ArchiveFile, type ArchiveHooks } from '../../pipeline/archives.js';
import { analyzeInThreads, startThreads, THREADS_AVAILABLE, type ThreadedReport } from '../../pipeline/threads.js';
import { bootTimeMs } from '../../daemon/boot-time.js';
import { parseIntOption, parseTimeOption } from '../option-parsers.js';
import { mailReport } from '../../daemon/mail-report.js';
import { escapeText } from '../../text/escape.js';
import type { Report, SourceReport } from '../../model/report.js';
import { writeHtmlReport } from '../html-output.js';
import { expectedBytes, Progress } from '../progress.js';

/** Expected bytes of the inputs, or null when one is unknown (stdin). */
function totalBytes(files: readonly string[]): number | null {
  let sum = 0;
  for (const f of files) {
    const n = expectedBytes(f);
    if (n === null) return null;
    sum += n;
  }
  return sum;
}

/** A streamed report as one object (the HTML page, the mail). */
async function wholeReport(r: ReportStream): Promise<Report> {
  const sources: SourceReport[] = [];
  for await (const batch of r.batches) sources.push(...batch);
  return withSources(r.head, sources);
}

interface AnalyzeOpts {
  config?: string;
  journal?: boolean;
  journalFile?: string;
  since?: string;
  until?: string;
  json?: boolean;
  csv?: boolean;
  csvFields?: string;
  autoDl?: string;
  signatures?: string;
  minDl?: number;
  top?: number;
  year?: number;
  threads?: number;
  dns?: boolean;
  email?: boolean;
  html?: string;
  stateDir?: string;
  geoip: boolean;
  sigs: boolean;
  quiet?: boolean;
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('analyze archived firewall logs (kern.log, rotated .gz sets, stdin, the journal) and report per source')
    .argument('[files...]', 'log files: plain or gzip, "-" for stdin; a rotated set is read oldest first (default: IPT_SYSLOG_FILE)')
    .option('-c, --config <file>', 'configuration file (default: built-in defaults, identical to etc/tsad.conf)')
    .option('--journal', 'read kernel messages from the system journal (journalctl -k -o json)')
    .option('--journal-file <file>', 'read kernel messages from a journal file (journalctl --file)')
    .option('--since <time>', 'only packets at or after this time: ISO 8601, "YYYY-MM-DD[ HH:MM[:SS]]" (local), epoch seconds, now, today, yesterday, or -2h, -30min, -7d (files and journal alike)')
    .option('--until <time>', 'only packets before this time (same forms as --since)')
    .option('--json', 'print the JSON report')
    .option('--csv', 'print packet fields as CSV instead of a report')
    .option('--csv-fields <list>', `comma separated CSV fields (default: ${DEFAULT_CSV_FIELDS.join(',')})`)
    .option('--auto-dl <file>', 'auto_dl file (psad syntax) assigning danger levels to addresses')
    .option('--signatures <paths>', 'comma separated signature files or directories; "shipped" is the shipped set (default: SIGNATURES_PATH)')
    .option('--no-sigs', 'disable signature matching')
    .option('--no-geoip', 'do not look up countries')
    .option('--dns', 'reverse-resolve reported sources (off by default in analyze)')
    .option('--html <file>', 'write the HTML report with charts to FILE ("-": standard output) instead of printing the text report')
    .option('--email', 'also mail the text report (with the JSON attached) to EMAIL_ADDRESSES')
    .option('--state-dir <dir>', 'state directory holding the mail queue (default: STATE_DIR)')
    .option('-q, --quiet', 'no progress on standard error (shown only when it is a terminal)')
    .addOption(new Option('--min-dl <n>', 'only report sources at or above this danger level (default: MIN_DANGER_LEVEL; 0 lists every source)').argParser(parseIntOption(0, 5)))
    .addOption(new Option('--top <n>', 'entries in each top-N section (default: STATUS_SIGS/IP/PORTS_THRESHOLD)').argParser(parseIntOption(1, 100000)))
    .addOption(new Option('--year <yyyy>', 'year of RFC 3164 timestamps, 1990-2049 (default: inferred)').argParser(parseIntOption(1990, 2049)))
    .addOption(new Option('--threads <n>', 'worker threads scoring the sources of log files, 1-64 (default 1; 0 is 1): this thread reads each file once and hands every thread its lines, each parses mostly those of its own share of the sources and builds their part of the report; the same report as one thread, faster only with idle cores. --csv, stdin and the journal use one').argParser(parseIntOption(0, 64)))
    .action(async (files: string[], opts: AnalyzeOpts) => {
      await analyze(files, opts);
    });
}

async function analyze(files: string[], opts: AnalyzeOpts): Promise<void> {
  if (opts.journal && opts.journalFile) throw new UsageError('use either --journal or --journal-file, not both');
  if ((opts.journal || opts.journalFile) && files.length > 0) throw new UsageError('files cannot be combined with --journal/--journal-file');
  if (opts.csv && opts.json) throw new UsageError('use either --csv or --json, not both');
  if (opts.csv && opts.html !== undefined) throw new UsageError('use either --csv or --html, not both');
  if (opts.json && opts.html === '-') throw new UsageError('--json and --html - both write to standard output: give --html a file');
  const csvFields = opts.csvFields ? opts.csvFields.split(',').map((s) => s.trim()) : DEFAULT_CSV_FIELDS;
  const badFields = unknownCsvFields(csvFields);
  if (badFields.length > 0) throw new UsageError(`unknown CSV field(s): ${badFields.join(', ')}`);
  const since = opts.since !== undefined ? parseTimeOption(opts.since, '--since') : undefined;
  const until = opts.until !== undefined ? parseTimeOption(opts.until, '--until') : undefined;

  const cfg = loadConfig(opts.config);
  const out = process.stdout;
  const aopts: AnalysisOptions = {
    cfg,
    autoDlFile: opts.autoDl,
    signaturesPath: opts.signatures,
    signatures: opts.sigs,
    geoip: opts.geoip,
    // One report (the HTML page and the mail reuse it): every address is looked up once.
    geoCache: false,
    dns: opts.dns === true,
    since,
    until,
    warn: (m) => process.stderr.write(`tsad: warning: ${escapeText(m)}\n`),
  };
  // CSV rows are gathered into blocks; while stdout is full (a slow pipe) reading pauses.
  const csv = opts.csv ? new BlockWriter(out) : null;
  if (csv) {
    csv.push(`${csvHeader(csvFields)}\n`);
    aopts.onPacket = (p) => csv.push(`${csvRow(p, csvFields)}\n`);
  }
  const journal = opts.journal === true || opts.journalFile !== undefined;
  const list = journal ? [] : orderRotated(files.length > 0 ? files : [cfg.IPT_SYSLOG_FILE]);
  const minDl = opts.minDl ?? cfg.MIN_DANGER_LEVEL;
  // Threads read files: CSV rows follow the log's packet order, and a pipe can be read only once.
  // One thread unless asked: two threads take about 1.3-1.5 times the CPU of one (the reading thread's
  // scan, a second heap, its garbage collector and compiler), which a busy machine does not have to spare.
  const threads = opts.csv || journal || list.includes('-') || !THREADS_AVAILABLE ? 1 : Math.max(1, opts.threads ?? 1);
  if (!THREADS_AVAILABLE && (opts.threads ?? 1) > 1) process.stderr.write('tsad: warning: --threads: this build (a single-file package) scores in one thread\n');
  if (threads > 1) aopts.partition = { index: 0, count: threads };
  const year = opts.year ?? (cfg.SYSLOG_YEAR > 0 ? cfg.SYSLOG_YEAR : undefined);
  const read = { year, bootTime: bootTimeMs(), maxLineLength: cfg.MAX_LINE_LENGTH };
  /** Only --json is written: threads serialise their sources (else they send report objects). */
  const jsonForm = opts.json === true && opts.html === undefined && opts.email !== true;
  const threadsJob = { configPath: opts.config, analysis: { autoDlFile: opts.autoDl, signaturesPath: opts.signatures, signatures: opts.sigs, since, until, geoip: opts.geoip }, read, count: threads, minDl, form: jsonForm ? 'json' : 'object' } as const;
  // The threads start up while this one builds its analysis.
  const started = threads > 1 ? startThreads(threadsJob) : undefined;
  const analysis = await buildAnalysis(aopts);
  // Progress only for a person at a terminal; the journal's size is not known beforehand.
  const progress = process.stderr.isTTY === true && opts.quiet !== true ? new Progress(process.stderr, journal ? null : totalBytes(list)) : null;
  const wait = csv ? () => (csv.blocked ? csv.ready() : undefined) : undefined;
  /** The sink: counting lines for the progress line when there is one; pausing input while a CSV reader is slow. */
  const sinkOf = (ctx: ParseContext): LineSink => {
    const s = analysis.sink(ctx);
    const line = progress === null ? s.line : (l: string) => {
      progress.line();
      s.line(l);
    };
    return wait ? { ...s, line, wait } : { ...s, line };
  };
  let failures = 0;
  const inputs: string[] = [];
  /** A partitioned analysis: its threads hold the sources until the report is written. */
  let threaded = null as ThreadedReport | null;
  const readError = (f: string, code: string | undefined, message: string): void => {
    const hint = code === 'ENOENT' && files.length === 0 ? ' (name log files as arguments, set IPT_SYSLOG_FILE, or use --journal)' : '';
    process.stderr.write(`tsad: ${escapeText(`${f}: ${code === 'ENOENT' ? 'no such file' : message}`)}${hint}\n`);
  };
  try {
    await run();
  } finally {
    await threaded?.close();
  }

  async function run(): Promise<void> {
    if (journal) {
      inputs.push(opts.journalFile ? `journal file ${opts.journalFile}` : 'the system journal');
      // journalctl gets the instant we parsed (its own parser rejects ISO zones on older systemd).
      const at = (ms: number | undefined) => (ms === undefined ? undefined : `@${Math.floor(ms / 1000)}`);
      const j = openJournal({ file: opts.journalFile, since: at(since), until: at(until), identifiers: journalIdentifiers(cfg) });
      const ctx = createParseContext({ year });
      progress?.file(inputs[0] as string);
      if (progress) j.stdout.on('data', (c: Buffer) => progress.bytes(c.length));
      await Promise.all([pipeLines(j.stdout, sinkOf(ctx), cfg.MAX_LINE_LENGTH), j.done]);
      analysis.pipeline.end(ctx);
    } else {
      inputs.push(...list);
      const archive: ArchiveFile[] = list.map((f) => ({ path: f, refTime: fileTime(f) }));
      const failed: string[] = [];
      const hooks: ArchiveHooks = {};
      if (wait) hooks.wait = wait;
      if (progress) {
        hooks.file = (f, input) => {
          progress.file(f);
          input.on('data', (c: Buffer | string) => progress.bytes(c.length));
        };
        hooks.line = () => progress.line();
      }
      const readHere = async (): Promise<string[]> => {
        await readArchives(analysis, archive, read, (f, e) => {
          failed.push(f);
          readError(f, e.code, e.message);
        }, hooks);
        return failed;
      };
      if (threads > 1) {
        threaded = await analyzeInThreads(analysis, { ...threadsJob, files: archive }, progress === null ? undefined : (m) => {
          if (m.file !== undefined) progress.file(m.file);
          progress.bytes(m.bytes);
        }, started);
        for (const f of threaded.failed) {
          failed.push(f.path);
          readError(f.path, f.code, f.message);
        }
      } else await readHere();
      failures += failed.length;
    }

    progress?.done();
    // Nothing could be read at all: an empty report would only mislead.
    if (failures > 0 && failures === inputs.length) {
      process.exitCode = 1;
      return;
    }
    if (csv) await csv.end();
    else {
      // One thread's heap holds the garbage of the whole read: collected before a big report is built in it.
      if (threaded === null && listedCount(analysis.tracker.levelCounts(), minDl) >= COLLECT_BEFORE_REPORT_OF) collectGarbage();
      // Like psad's listings, sources below MIN_DANGER_LEVEL are counted (summary.tracked) but not listed.
      const textOpts = { mode: 'analyze' as const, top: topLimits(cfg, opts.top), minDl, inputs, blocking: { enabled: cfg.ENABLE_AUTO_IDS, level: cfg.AUTO_IDS_DANGER_LEVEL } };
      // Streamed: sources are built, enriched, written and dropped a batch at a time.
      const stream = async (): Promise<ReportStream> => threaded?.stream() ?? analysis.reportStream(minDl);
      if (threaded !== null && jsonForm) await writeJsonPieces(out, threaded.head, threaded.jsonPieces());
      else if (opts.json) await writeJsonReport(out, await stream());
      else if (opts.html === undefined) await writeTextReport(out, await stream(), { ...textOpts, color: out.isTTY === true });
      // The HTML page and the mail carry the whole report: built once, as one object.
      let whole: Report | undefined;
      const full = async (): Promise<Report> => (whole ??= threaded === null ? await analysis.report(minDl) : await wholeReport(threaded.stream()));
      if (opts.html !== undefined) await writeHtmlReport(opts.html, await full(), { title: `tsad analysis of ${inputs.join(', ')}`, top: opts.top });
      if (opts.email) {
        const report = await full();
        const mailed = await mailReport(cfg, opts.stateDir ?? cfg.STATE_DIR, report, renderText(report, { ...textOpts, color: false }), `analysis of ${inputs.join(', ')}`);
        if (mailed.sent === 0 && !mailed.handedOff) {
          process.stderr.write(`tsad: the report mail is queued (${mailed.error ?? 'not sent yet'}); it goes out with the daemon or the next run\n`);
          failures++;
        }
      }
    }
    if (failures > 0) process.exitCode = 1;
  }
}
