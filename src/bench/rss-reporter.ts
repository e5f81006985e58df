/** Loaded with `node --import` by the benchmark: reports the process's peak RSS and CPU time on exit. */
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`\nTSAD_BENCH_MAXRSS_KB=${u.maxRSS}\nTSAD_BENCH_CPU_S=${((u.userCPUTime + u.systemCPUTime) / 1e6).toFixed(2)}\n`);
});
