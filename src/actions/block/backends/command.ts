/**
 * command backend: runs BLOCK_COMMAND for each block and unblock, directly
 * with an argument vector (never a shell). Placeholders are whole arguments:
 * %ACTION% (block | unblock), %ADDR%, %TIMEOUT% (seconds, 0 = until removed),
 * %FAMILY% (4 | 6). The program must be idempotent: tsad repeats a block
 * when it resynchronizes. tsad removes expired blocks itself, and `flush`
 * unblocks every recorded block one by one.
 */
import { applyCommand } from '../runner.js';
import type { BackendContext, BlockBackend, BlockEntry, LiveBlock } from '../types.js';
import { familyOf } from './common.js';

export class CommandBackend implements BlockBackend {
  readonly name = 'command';
  readonly maxKernelTimeoutSec = 0;
  readonly needsRemoveBeforeFlush = true;
  readonly #ctx: BackendContext;
  readonly #argv: readonly string[];

  constructor(ctx: BackendContext, argv: readonly string[]) {
    if (argv.length === 0 || !(argv[0] as string).startsWith('/')) throw new Error('BLOCK_COMMAND must start with an absolute program path');
    this.#ctx = ctx;
    this.#argv = argv;
  }

  async ensure(): Promise<void> {}

  async add(entries: BlockEntry[]): Promise<void> {
    await this.#each(entries.map((e) => ({ action: 'block', cidr: e.cidr, timeout: e.timeoutSec })));
  }

  async remove(cidrs: string[]): Promise<void> {
    await this.#each(cidrs.map((c) => ({ action: 'unblock', cidr: c, timeout: 0 })));
  }

  async list(): Promise<LiveBlock[]> {
    return [];
  }

  async flush(): Promise<void> {}

  async present(): Promise<boolean> {
    return true;
  }

  async sync(entries: BlockEntry[]): Promise<void> {
    await this.add(entries);
  }

  /** Runs every call, then reports the failures together so one bad address does not hide the rest. */
  async #each(calls: Array<{ action: string; cidr: string; timeout: number }>): Promise<void> {
    const failures: string[] = [];
    for (const c of calls) {
      const values: Record<string, string> = { '%ACTION%': c.action, '%ADDR%': c.cidr, '%TIMEOUT%': String(Math.ceil(c.timeout)), '%FAMILY%': String(familyOf(c.cidr)) };
      const args = this.#argv.slice(1).map((a) => values[a] ?? a);
      try {
        await applyCommand(this.#ctx, this.#argv[0] as string, args);
      } catch (err) {
        failures.push(`${c.action} ${c.cidr}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`BLOCK_COMMAND failed for ${failures.length} of ${calls.length}: ${failures.slice(0, 3).join('; ')}`);
  }
}

